// rf-policy-check: the signature check a node runs before it boots an image, on this machine.
//
// Debian bookworm's podman and skopeo are built with sigstore disabled ("Debian-local change:
// sigstore disabled" from containers/image 5.23.1-4), so they can neither write nor verify sigstore
// signatures. This tool links upstream containers/image instead and does what skopeo's
// experimental-image-proxy OpenImage does when rpm-ostree (ostree-rs-ext) pulls a node image:
// parse the policy, open the image source with the given registries.d, and ask the policy context
// whether the image may run (cmd/skopeo/proxy.go: IsRunningImageAllowed on the unparsed top-level
// image). No layer is downloaded.
//
//	rf-policy-check --policy policy.json --registries.d dir [--authfile auth.json] [--tls-verify=false] <repo@sha256:...>
//
// Exit 0 and "allowed" when the policy accepts the image; exit 1 and the reason otherwise.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/containers/image/v5/docker"
	"github.com/containers/image/v5/image"
	"github.com/containers/image/v5/signature"
	"github.com/containers/image/v5/types"
)

func main() {
	policyPath := flag.String("policy", "", "containers-policy.json(5) file")
	registriesD := flag.String("registries.d", "", "containers-registries.d(5) directory")
	authfile := flag.String("authfile", "", "containers auth.json")
	tlsVerify := flag.Bool("tls-verify", true, "require HTTPS and verify certificates")
	flag.Parse()
	if *policyPath == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: rf-policy-check --policy FILE [--registries.d DIR] [--authfile FILE]"+
			" [--tls-verify=false] REPO@DIGEST")
		os.Exit(2)
	}
	if err := check(*policyPath, *registriesD, *authfile, *tlsVerify, flag.Arg(0)); err != nil {
		fmt.Fprintf(os.Stderr, "rejected: %v\n", err)
		os.Exit(1)
	}
	fmt.Println("allowed")
}

func check(policyPath, registriesD, authfile string, tlsVerify bool, ref string) (retErr error) {
	ctx := context.Background()
	policy, err := signature.NewPolicyFromFile(policyPath)
	if err != nil {
		return fmt.Errorf("reading policy: %w", err)
	}
	pc, err := signature.NewPolicyContext(policy)
	if err != nil {
		return fmt.Errorf("policy context: %w", err)
	}
	defer func() {
		if err := pc.Destroy(); err != nil && retErr == nil {
			retErr = err
		}
	}()
	imgRef, err := docker.ParseReference("//" + ref)
	if err != nil {
		return fmt.Errorf("parsing %s: %w", ref, err)
	}
	sys := &types.SystemContext{
		RegistriesDirPath:           registriesD,
		AuthFilePath:                authfile,
		DockerInsecureSkipTLSVerify: types.NewOptionalBool(!tlsVerify),
	}
	src, err := imgRef.NewImageSource(ctx, sys)
	if err != nil {
		return fmt.Errorf("opening %s: %w", ref, err)
	}
	defer src.Close()
	allowed, err := pc.IsRunningImageAllowed(ctx, image.UnparsedInstance(src, nil))
	if err != nil {
		return err
	}
	if !allowed {
		return fmt.Errorf("policy did not allow the image")
	}
	return nil
}
