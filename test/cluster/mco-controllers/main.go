// Command rf-mco-controllers runs three controllers of the real machine-config-controller
// (openshift/machine-config-operator) against a kube-apiserver: render, node and drain, wired the
// way cmd/machine-config-controller/start.go wires them (createControllers and the drain
// controller beside them), with plain client-go informer factories instead of
// ctrlcommon.CreateControllerContext (which also wants leader election, the operator's namespace
// informers, metrics and a FeatureGate object) and hard-coded feature gates.
//
// It is built by scripts/install-mco-controllers.sh INSIDE an extracted machine-config-operator
// tree (cmd/rf-mco-controllers/), so it imports the tree's own packages and vendored modules; the
// project keeps only this file. TEST ONLY: the e2e cluster (test/cluster/mcoControllers.ts) runs it.
//
// Usage:
//
//	rf-mco-controllers --kubeconfig <file> [--v 2]
//	rf-mco-controllers --print-version      the version strings the render controller checks, as JSON
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	configv1 "github.com/openshift/api/config/v1"
	"github.com/openshift/api/features"
	configclientset "github.com/openshift/client-go/config/clientset/versioned"
	configinformers "github.com/openshift/client-go/config/informers/externalversions"
	mcfgclientset "github.com/openshift/client-go/machineconfiguration/clientset/versioned"
	mcfginformers "github.com/openshift/client-go/machineconfiguration/informers/externalversions"
	operatorclientset "github.com/openshift/client-go/operator/clientset/versioned"
	operatorinformers "github.com/openshift/client-go/operator/informers/externalversions"
	ctrlcommon "github.com/openshift/machine-config-operator/pkg/controller/common"
	"github.com/openshift/machine-config-operator/pkg/controller/drain"
	"github.com/openshift/machine-config-operator/pkg/controller/node"
	"github.com/openshift/machine-config-operator/pkg/controller/render"
	"github.com/openshift/machine-config-operator/pkg/version"
	kubeinformers "k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
)

// Versions is what --print-version prints: the seed must stamp the ControllerConfig with Raw
// (annotation machineconfiguration.openshift.io/generated-by-version) and the MCO-generated
// MachineConfigs with Hash (generated-by-controller-version), or the render controller refuses
// them (pkg/controller/render/render_controller.go generateRenderedMachineConfig).
type Versions struct {
	Hash string `json:"hash"`
	Raw  string `json:"raw"`
}

// Off are the gates switched off whatever the release's Default set says: MachineConfigNodes would
// make the node controller keep MachineConfigNode objects that nothing here consumes, and
// PinnedImages needs them.
var Off = []configv1.FeatureGateName{features.FeatureGateMachineConfigNodes, features.FeatureGatePinnedImages}

// Gates splits a feature set into enabled and disabled gate names, with every gate in `off` moved
// to disabled; both lists sorted, no name in both.
func Gates(
	set *features.FeatureGateEnabledDisabled, off []configv1.FeatureGateName,
) (enabled, disabled []configv1.FeatureGateName) {
	isOff := map[configv1.FeatureGateName]bool{}
	for _, g := range off {
		isOff[g] = true
	}
	seen := map[configv1.FeatureGateName]bool{}
	for _, g := range set.Enabled {
		if !isOff[g.FeatureGateAttributes.Name] && !seen[g.FeatureGateAttributes.Name] {
			enabled = append(enabled, g.FeatureGateAttributes.Name)
			seen[g.FeatureGateAttributes.Name] = true
		}
	}
	for _, g := range set.Disabled {
		if !seen[g.FeatureGateAttributes.Name] && !isOff[g.FeatureGateAttributes.Name] {
			disabled = append(disabled, g.FeatureGateAttributes.Name)
			seen[g.FeatureGateAttributes.Name] = true
		}
	}
	for _, g := range off {
		if !seen[g] {
			disabled = append(disabled, g)
			seen[g] = true
		}
	}
	less := func(s []configv1.FeatureGateName) func(i, j int) bool {
		return func(i, j int) bool { return s[i] < s[j] }
	}
	sort.Slice(enabled, less(enabled))
	sort.Slice(disabled, less(disabled))
	return enabled, disabled
}

func main() {
	klog.InitFlags(nil)
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the API server to run against")
	printVersion := flag.Bool("print-version", false,
		"print the version strings the render controller checks, as JSON, and exit")
	flag.Parse()

	if *printVersion {
		out, err := json.Marshal(Versions{Hash: version.Hash, Raw: version.Raw})
		if err != nil {
			klog.Fatal(err)
		}
		fmt.Println(string(out))
		return
	}
	if *kubeconfig == "" {
		fmt.Fprintln(os.Stderr, "rf-mco-controllers: --kubeconfig is required")
		os.Exit(2)
	}
	if err := run(*kubeconfig); err != nil {
		klog.Fatal(err)
	}
}

func run(kubeconfig string) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("reading %s: %w", kubeconfig, err)
	}
	set, err := features.FeatureSets(features.SelfManaged, configv1.Default)
	if err != nil {
		return err
	}
	enabled, disabled := Gates(set, Off)
	fg := ctrlcommon.NewFeatureGatesHardcodedHandler(enabled, disabled)
	klog.Infof("rf-mco-controllers: machine-config-operator %s (%s); %d feature gates enabled, %d disabled",
		version.Raw, version.Hash, len(enabled), len(disabled))

	// One client per controller, named as start.go names them (the user agent shows in the audit log).
	kube := func(name string) kubernetes.Interface {
		return kubernetes.NewForConfigOrDie(rest.AddUserAgent(rest.CopyConfig(cfg), name))
	}
	mcfg := func(name string) mcfgclientset.Interface {
		return mcfgclientset.NewForConfigOrDie(rest.AddUserAgent(rest.CopyConfig(cfg), name))
	}

	// ctrlcommon.CreateControllerContext uses a random resync between 12 and 24 h; none is needed here.
	const resync = 0 * time.Second
	mcfgInformers := mcfginformers.NewSharedInformerFactory(mcfg("machine-config-shared-informer"), resync)
	kubeInformers := kubeinformers.NewSharedInformerFactory(kube("kube-shared-informer"), resync)
	configInformers := configinformers.NewSharedInformerFactory(
		configclientset.NewForConfigOrDie(rest.AddUserAgent(rest.CopyConfig(cfg), "config-shared-informer")), resync)
	operatorInformers := operatorinformers.NewSharedInformerFactory(
		operatorclientset.NewForConfigOrDie(rest.AddUserAgent(rest.CopyConfig(cfg), "operator-shared-informer")), resync)
	mc := mcfgInformers.Machineconfiguration()

	renderCtrl := render.New(
		mc.V1().MachineConfigPools(),
		mc.V1().MachineConfigs(),
		mc.V1().ControllerConfigs(),
		mc.V1().ContainerRuntimeConfigs(),
		mc.V1().KubeletConfigs(),
		operatorInformers.Operator().V1().MachineConfigurations(),
		mc.V1alpha1().OSImageStreams(),
		kube("render-controller"),
		mcfg("render-controller"),
		fg,
	)
	nodeCtrl := node.New(
		mc.V1().ControllerConfigs(),
		mc.V1().MachineConfigs(),
		mc.V1().MachineConfigPools(),
		kubeInformers.Core().V1().Nodes(),
		kubeInformers.Core().V1().Pods(),
		mc.V1().MachineOSConfigs(),
		mc.V1().MachineOSBuilds(),
		mc.V1().MachineConfigNodes(),
		configInformers.Config().V1().Schedulers(),
		kube("node-update-controller"),
		mcfg("node-update-controller"),
		fg,
	)
	drainCtrl := drain.New(
		drain.DefaultConfig(),
		kubeInformers.Core().V1().Nodes(),
		mc.V1().MachineConfigPools(),
		kube("node-update-controller"),
		mcfg("node-update-controller"),
		fg,
	)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	mcfgInformers.Start(ctx.Done())
	kubeInformers.Start(ctx.Done())
	configInformers.Start(ctx.Done())
	operatorInformers.Start(ctx.Done())

	// Worker counts of start.go (ctrlcommon.Controller Run(2, ...)) and the drain controller's 5.
	go renderCtrl.Run(2, ctx.Done())
	go nodeCtrl.Run(2, ctx.Done())
	go drainCtrl.Run(5, ctx.Done())
	<-ctx.Done()
	klog.Info("rf-mco-controllers: stopping")
	return nil
}
