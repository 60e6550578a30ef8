/**
 * What every part of a GlusterCluster shares: its parent, its spec, its children's names,
 * what every child comes after (the identity guard), and whether TLS runs. `childOptions` is the one way a
 * child's resource options are made, so "every child comes after the identity guard" holds
 * by construction.
 */
import * as pulumi from "@pulumi/pulumi";
import { ChildNames } from "./names";
import { ClusterSpec } from "./spec";

export interface Scope {
    parent: pulumi.ComponentResource;
    spec: ClusterSpec;
    names: ChildNames;
    /** Every child depends on these (the identity guard). */
    after: pulumi.Resource[];
    /** Whether the cluster runs TLS: as declared, or by default as the identity step recorded it (identity.ts tlsVerdict). */
    tlsOn: pulumi.Output<boolean>;
}

/**
 * `value` while the cluster runs TLS, else `none`: what reaches a host, a Secret or an output
 * only with TLS (key material, bundles, expiries). A secret `value` stays secret.
 */
export function whileTls<T>(scope: Scope, value: pulumi.Input<T>, none: T): pulumi.Output<T> {
    return pulumi.all([scope.tlsOn, value]).apply(([on, v]) => (on ? (v as T) : none));
}

/** A child's options: parented, after the identity guard and `dependsOn`, with anything else given. */
export function childOptions(
    scope: Scope,
    extra: Omit<pulumi.CustomResourceOptions, "parent" | "dependsOn"> & { dependsOn?: pulumi.Resource[] } = {},
): pulumi.CustomResourceOptions {
    const { dependsOn = [], ...rest } = extra;
    return { parent: scope.parent, ...rest, dependsOn: [...scope.after, ...dependsOn] };
}
