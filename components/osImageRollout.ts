// OsImageRollout: the image reaches nodes through one MachineConfig per pool whose osImageURL is
// the built digest (OpenShift "out-of-cluster layering"). Custom pools get their MachineConfigPool
// and node labels. Dependencies are declared so that `pulumi destroy` removes, in the order the
// MCO docs require: the MachineConfig (nodes revert to base RHCOS), then node labels (nodes
// return to worker), then the pool.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PoolConfig } from "./config";
import {
    MCO_API, isBuiltinPool, machineConfigName, nodeRoleLabel, renderMachineConfig, renderMachineConfigPool, renderPoolSettings,
} from "./manifests";

export interface OsImageRolloutArgs {
    /** The cluster (a kubeconfig provider, or one rendering YAML for GitOps). */
    readonly provider: k8s.Provider;
    /** The image every pool boots, `repo@sha256:…`. */
    readonly imageRef: pulumi.Input<string>;
    /** Pools in rollout order. */
    readonly pools: readonly PoolConfig[];
}

export interface PoolRollout {
    readonly name: string;
    readonly machineConfig: string;
}

export class OsImageRollout extends pulumi.ComponentResource {
    /** How the image reaches nodes. */
    public readonly method: pulumi.Output<string>;
    /** Each pool and the MachineConfig that carries the image to it. */
    public readonly pools: pulumi.Output<PoolRollout[]>;

    constructor(name: string, args: OsImageRolloutArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rhcos-forge:rollout:OsImageRollout", name, {}, opts);
        const provider = args.provider;

        for (const pool of args.pools) {
            const prefix = `${name}-${pool.name}`;
            let poolDeps: pulumi.Resource[] = [];
            if (isBuiltinPool(pool.name)) {
                // The MCO owns worker/master: patch only the fields we manage.
                poolDeps = [new k8s.apiextensions.CustomResourcePatch(`${prefix}-pool`, {
                    apiVersion: MCO_API,
                    kind: "MachineConfigPool",
                    metadata: { name: pool.name, annotations: { "pulumi.com/patchFieldManager": "rhcos-forge" } },
                    spec: renderPoolSettings(pool),
                }, { parent: this, provider })];
            } else {
                const mcp = renderMachineConfigPool(pool);
                const poolResource = new k8s.apiextensions.CustomResource(`${prefix}-pool`, {
                    apiVersion: mcp.apiVersion, kind: mcp.kind, metadata: mcp.metadata, spec: mcp.spec,
                }, { parent: this, provider });
                // Nodes are the cluster's: label them with a patch so destroy only removes our label.
                const labels = pool.nodes.map(node => new k8s.core.v1.NodePatch(`${prefix}-node-${node}`, {
                    metadata: {
                        name: node,
                        labels: { [nodeRoleLabel(pool.name)]: "" },
                        annotations: { "pulumi.com/patchFieldManager": "rhcos-forge" },
                    },
                }, { parent: this, provider, dependsOn: [poolResource] }));
                poolDeps = [poolResource, ...labels];
            }
            const mc = pulumi.output(args.imageRef).apply(ref => renderMachineConfig(pool.name, ref));
            new k8s.apiextensions.CustomResource(`${prefix}-machineconfig`, {
                apiVersion: MCO_API,
                kind: "MachineConfig",
                metadata: mc.metadata,
                spec: mc.spec,
            }, { parent: this, provider, dependsOn: poolDeps });
        }

        this.method = pulumi.output("machineconfig");
        this.pools = pulumi.output(args.pools.map(p => ({ name: p.name, machineConfig: machineConfigName(p.name) })));
        this.registerOutputs({ method: this.method, pools: this.pools });
    }
}
