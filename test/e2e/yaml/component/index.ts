// rhcos-forge's ClusterBaseImage, served to Pulumi programs in other languages (test/e2e/yaml.test.ts
// runs a YAML one) as a source-based component package: the nodejs language host runs this file and
// @pulumi/pulumi's run-plugin serves the ComponentResource classes it exports through
// componentProviderHost (3.248.0 provider/experimental), whose analyzer derives the package schema
// from their Args.
//
// None of the library's components can be exported as they are (docs/yaml-components.md): the
// analyzer refuses unions (BuildHostArgs.config, HostHandle.provider, PoolConfig.maxUnavailable)
// and writes a provider-typed input such as ClusterBaseImageArgs.provider as
// `#/resources/kubernetes`, which the schema binder cannot resolve. So this package exports one
// adapter whose Args are plain: it makes the kubernetes provider from a kubeconfig and hands it to
// the real ClusterBaseImage.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterBaseImage } from "../../../../components/image/clusterBaseImage";

export interface ClusterBaseImageReaderArgs {
    /** Kubeconfig of the cluster whose base RHCOS image is read (a secret). */
    readonly kubeconfig: pulumi.Input<string>;
}

export class ClusterBaseImageReader extends pulumi.ComponentResource {
    /** The cluster's base RHCOS image, `repo@sha256:…` (ConfigMap machine-config-osimageurl). */
    public readonly ref: pulumi.Output<string>;

    constructor(name: string, args: ClusterBaseImageReaderArgs, opts?: pulumi.ComponentResourceOptions) {
        // The token componentProviderHost serves it under: <package name>:index:<class>.
        super("rhcos-forge:index:ClusterBaseImageReader", name, {}, opts);
        const provider = new k8s.Provider(`${name}-cluster`, { kubeconfig: args.kubeconfig }, { parent: this });
        this.ref = new ClusterBaseImage(`${name}-base`, { provider }, { parent: this }).ref;
        this.registerOutputs({ ref: this.ref });
    }
}
