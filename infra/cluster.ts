import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { podRoleTrust, policyDocument, serviceTrust } from "./iam";
import { Role } from "./settings";

export interface ClusterArgs {
    role: Role;
    region: string;
    zones: string[];
    /** Private subnets, one per zone, in the order of `zones`. */
    privateSubnetIds: pulumi.Input<string>[];
    publicSubnetIds: pulumi.Input<string>[];
    kubernetesVersion: string;
    nodeInstanceType: string;
    /** Nodes per zone when primary; a standby keeps one per zone (pilot light). */
    nodesPerZone: number;
    kmsKeyArn: pulumi.Input<string>;
    tags: Record<string, string>;
}

/**
 * EKS with one managed node group per zone (so the autoscaler can grow each zone on its own and
 * a zone outage leaves the others sized), secrets encrypted with the stack's key, an OIDC
 * provider for pod IAM roles, and a Kubernetes provider for the workloads.
 */
export class Cluster extends pulumi.ComponentResource {
    public readonly cluster: aws.eks.Cluster;
    public readonly nodeGroups: aws.eks.NodeGroup[];
    public readonly oidcProvider: aws.iam.OpenIdConnectProvider;
    public readonly oidcIssuer: pulumi.Output<string>;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly provider: k8s.Provider;
    /** Encrypted gp3 volumes through the EBS CSI driver (EKS 1.30+ clusters have no default StorageClass). */
    public readonly storageClass: k8s.storage.v1.StorageClass;

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:Cluster", name, {}, opts);
        const child = { parent: this };

        const clusterRole = new aws.iam.Role(`${name}-cluster`, { assumeRolePolicy: serviceTrust("eks.amazonaws.com"), tags: args.tags }, child);
        const clusterPolicy = new aws.iam.RolePolicyAttachment(`${name}-cluster`, {
            role: clusterRole.name, policyArn: "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
        }, child);

        this.cluster = new aws.eks.Cluster(name, {
            version: args.kubernetesVersion,
            roleArn: clusterRole.arn,
            vpcConfig: {
                subnetIds: [...args.privateSubnetIds, ...args.publicSubnetIds],
                endpointPrivateAccess: true,
                endpointPublicAccess: true,
            },
            accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
            encryptionConfig: { provider: { keyArn: args.kmsKeyArn }, resources: ["secrets"] },
            enabledClusterLogTypes: ["api", "audit", "authenticator"],
            tags: args.tags,
        }, { parent: this, dependsOn: [clusterPolicy] });

        const nodeRole = new aws.iam.Role(`${name}-nodes`, { assumeRolePolicy: serviceTrust("ec2.amazonaws.com"), tags: args.tags }, child);
        const nodePolicies = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"]
            .map(p => new aws.iam.RolePolicyAttachment(`${name}-nodes-${p}`, { role: nodeRole.name, policyArn: `arn:aws:iam::aws:policy/${p}` }, child));

        const desired = args.role === "primary" ? args.nodesPerZone : 1;
        this.nodeGroups = args.zones.map((zone, i) => new aws.eks.NodeGroup(`${name}-${zone}`, {
            clusterName: this.cluster.name,
            nodeRoleArn: nodeRole.arn,
            subnetIds: [args.privateSubnetIds[i]],
            // Nodes follow the control plane when kubernetesVersion moves (one minor version per update).
            version: args.kubernetesVersion,
            instanceTypes: [args.nodeInstanceType],
            // Promotion raises the floor to the primary's size; the ceiling is the same in both roles.
            scalingConfig: { minSize: desired, desiredSize: desired, maxSize: Math.max(args.nodesPerZone * 2, 2) },
            updateConfig: { maxUnavailable: 1 },
            labels: { "autovideo-dr/zone": zone },
            tags: args.tags,
        }, { parent: this, dependsOn: nodePolicies }));

        this.oidcIssuer = this.cluster.identities.apply(ids => ids?.[0]?.oidcs?.[0]?.issuer ?? "");
        this.oidcProvider = new aws.iam.OpenIdConnectProvider(`${name}-oidc`, {
            url: this.oidcIssuer,
            clientIdLists: ["sts.amazonaws.com"],
            tags: args.tags,
        }, child);

        this.kubeconfig = pulumi.secret(pulumi.all([this.cluster.name, this.cluster.endpoint, this.cluster.certificateAuthority])
            .apply(([clusterName, endpoint, ca]) => JSON.stringify({
                apiVersion: "v1",
                kind: "Config",
                clusters: [{ name: clusterName, cluster: { server: endpoint, "certificate-authority-data": ca?.data } }],
                contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
                "current-context": clusterName,
                users: [{
                    name: clusterName,
                    user: {
                        exec: {
                            apiVersion: "client.authentication.k8s.io/v1beta1",
                            command: "aws",
                            args: ["eks", "get-token", "--cluster-name", clusterName, "--region", args.region],
                        },
                    },
                }],
            })));
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, { parent: this, dependsOn: this.nodeGroups });

        // Volumes (the Pushgateway's) need the EBS CSI driver, with a pod identity that may use the stack's key.
        const identity = { oidcProviderArn: this.oidcProvider.arn, oidcIssuer: this.oidcIssuer };
        const ebsRole = new aws.iam.Role(`${name}-ebs-csi`, { assumeRolePolicy: podRoleTrust(identity, "kube-system", "ebs-csi-controller-sa"), tags: args.tags }, child);
        new aws.iam.RolePolicyAttachment(`${name}-ebs-csi`, { role: ebsRole.name, policyArn: "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy" }, child);
        new aws.iam.RolePolicy(`${name}-ebs-csi-key`, {
            role: ebsRole.id,
            policy: policyDocument([
                { Sid: "UseVolumeKey", Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"], Resource: [args.kmsKeyArn] },
                { Sid: "GrantVolumeKey", Effect: "Allow", Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], Resource: [args.kmsKeyArn], Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } } },
            ]),
        }, child);
        const ebs = new aws.eks.Addon(`${name}-ebs-csi`, {
            clusterName: this.cluster.name, addonName: "aws-ebs-csi-driver", serviceAccountRoleArn: ebsRole.arn, tags: args.tags,
        }, { parent: this, dependsOn: this.nodeGroups });
        this.storageClass = new k8s.storage.v1.StorageClass(`${name}-gp3`, {
            metadata: { name: "gp3-encrypted" },
            provisioner: "ebs.csi.aws.com",
            parameters: { type: "gp3", encrypted: "true", kmsKeyId: args.kmsKeyArn },
            volumeBindingMode: "WaitForFirstConsumer",
            allowVolumeExpansion: true,
        }, { parent: this, provider: this.provider, dependsOn: [ebs] });

        this.registerOutputs({ clusterName: this.cluster.name, kubeconfig: this.kubeconfig });
    }
}
