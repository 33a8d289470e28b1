import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { backupServiceAccount, restoreTestServiceAccount } from "./jobRoles";
import { Role } from "./settings";

/** The Auto Video services and the replica count each runs at full strength (role primary). */
export const services: { name: string; replicas: number; port: number }[] = [
    { name: "api-gateway", replicas: 3, port: 8080 },
    { name: "auth-service", replicas: 3, port: 8080 },
    { name: "video-service", replicas: 3, port: 8080 },
    { name: "ai-service", replicas: 2, port: 8080 },
    { name: "storage-service", replicas: 2, port: 8080 },
    { name: "social-service", replicas: 2, port: 8080 },
    { name: "trend-service", replicas: 2, port: 8080 },
    { name: "scheduler-service", replicas: 2, port: 8080 },
];

/** Where the services find the stack's data stores; all of it is also a stack output. */
export interface Endpoints {
    databaseAddress: pulumi.Input<string>;
    databasePort: pulumi.Input<number>;
    cacheEndpoint: pulumi.Input<string>;
    uploadsBucket: pulumi.Input<string>;
    modelsBucket: pulumi.Input<string>;
    generatedBucket: pulumi.Input<string>;
    backupsBucket: pulumi.Input<string>;
    /** Secrets Manager secret with the database credentials ("" when the stack holds none). */
    databaseSecretArn: pulumi.Input<string>;
}

export interface WorkloadsArgs {
    role: Role;
    stack: string;
    region: string;
    imageRegistry: string;
    imageTag: string;
    /** Replicas per service on a standby (pilot light). */
    pilotLightReplicas: number;
    backupSchedule: string;
    restoreTestSchedule: string;
    endpoints: Endpoints;
    backupRoleArn: pulumi.Input<string>;
    restoreTestRoleArn: pulumi.Input<string>;
    /** ACM certificate the public load balancer terminates TLS with. */
    certificateArn: pulumi.Input<string>;
}

export const namespaceName = "autovideo";

/**
 * The Auto Video services on the cluster, sized by role: a standby runs the pilot-light minimum
 * (warm, ready to scale), a primary the full count. Every service spreads over zones, keeps a
 * PodDisruptionBudget and has readiness and liveness probes. The DR jobs run `autovideo-dr`.
 */
export class Workloads extends pulumi.ComponentResource {
    public readonly deployments: Record<string, k8s.apps.v1.Deployment> = {};
    /** Host name of the public load balancer in front of the api-gateway. */
    public readonly loadBalancerHostname: pulumi.Output<string>;

    constructor(name: string, args: WorkloadsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:Workloads", name, {}, opts);
        const child = { parent: this };
        const ns = new k8s.core.v1.Namespace(namespaceName, { metadata: { name: namespaceName } }, child);
        const namespace = ns.metadata.name;
        const e = args.endpoints;

        const env = new k8s.core.v1.ConfigMap(`${name}-endpoints`, {
            metadata: { namespace, name: "autovideo-endpoints" },
            data: {
                DR_ROLE: args.role,
                DR_STACK: args.stack,
                AWS_REGION: args.region,
                DATABASE_HOST: e.databaseAddress,
                DATABASE_PORT: pulumi.output(e.databasePort).apply(String),
                DATABASE_SECRET_ARN: e.databaseSecretArn,
                REDIS_HOST: e.cacheEndpoint,
                REDIS_TLS: "true",
                S3_UPLOADS_BUCKET: e.uploadsBucket,
                S3_MODELS_BUCKET: e.modelsBucket,
                S3_GENERATED_BUCKET: e.generatedBucket,
                S3_BACKUPS_BUCKET: e.backupsBucket,
            },
        }, child);
        const envFrom = [{ configMapRef: { name: env.metadata.name } }];

        for (const svc of services) {
            const labels = { app: svc.name, "app.kubernetes.io/part-of": "autovideo" };
            const replicas = args.role === "primary" ? svc.replicas : args.pilotLightReplicas;
            this.deployments[svc.name] = new k8s.apps.v1.Deployment(svc.name, {
                metadata: { namespace, name: svc.name, labels },
                spec: {
                    replicas,
                    selector: { matchLabels: labels },
                    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                    template: {
                        metadata: { labels },
                        spec: {
                            // Zones first (a zone loss keeps the others serving), then nodes.
                            topologySpreadConstraints: [
                                { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: labels } },
                                { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: labels } },
                            ],
                            containers: [{
                                name: svc.name,
                                image: `${args.imageRegistry}/${svc.name}:${args.imageTag}`,
                                ports: [{ name: "http", containerPort: svc.port }],
                                envFrom,
                                readinessProbe: { httpGet: { path: "/health/ready", port: "http" }, periodSeconds: 5, failureThreshold: 3 },
                                livenessProbe: { httpGet: { path: "/health/live", port: "http" }, initialDelaySeconds: 20, periodSeconds: 10, failureThreshold: 6 },
                                resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
                                securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
                                // The root file system is read-only; scratch space (video frames, uploads in flight) goes here.
                                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                            }],
                            volumes: [{ name: "tmp", emptyDir: {} }],
                        },
                    },
                },
            }, child);
            new k8s.core.v1.Service(svc.name, {
                metadata: { namespace, name: svc.name, labels },
                spec: { selector: labels, ports: [{ name: "http", port: 80, targetPort: "http" }] },
            }, child);
            // maxUnavailable rather than minAvailable: a one-replica pilot light must still let nodes drain.
            new k8s.policy.v1.PodDisruptionBudget(svc.name, {
                metadata: { namespace, name: svc.name },
                spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
            }, child);
        }

        const lb = new k8s.core.v1.Service(`${name}-public`, {
            metadata: {
                namespace, name: "autovideo-public",
                annotations: {
                    // An NLB from EKS's own cloud controller: no extra controller to install first.
                    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                    "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
                    "service.beta.kubernetes.io/aws-load-balancer-ssl-cert": args.certificateArn,
                    "service.beta.kubernetes.io/aws-load-balancer-ssl-ports": "https",
                },
            },
            spec: { type: "LoadBalancer", selector: { app: "api-gateway" }, ports: [{ name: "https", port: 443, targetPort: "http" }] },
        }, child);
        this.loadBalancerHostname = lb.status.loadBalancer.ingress.apply(i => i?.[0]?.hostname ?? "");

        const drImage = `${args.imageRegistry}/autovideo-dr:${args.imageTag}`;
        const store = pulumi.interpolate`s3://${e.backupsBucket}`;
        const job = (jobName: string, schedule: string, serviceAccount: string, roleArn: pulumi.Input<string>, command: pulumi.Input<string>[], suspend: boolean) => {
            const sa = new k8s.core.v1.ServiceAccount(serviceAccount, {
                metadata: { namespace, name: serviceAccount, annotations: { "eks.amazonaws.com/role-arn": roleArn } },
            }, child);
            return new k8s.batch.v1.CronJob(jobName, {
                metadata: { namespace, name: jobName },
                spec: {
                    schedule,
                    suspend,
                    concurrencyPolicy: "Forbid",
                    startingDeadlineSeconds: 300,
                    successfulJobsHistoryLimit: 3,
                    failedJobsHistoryLimit: 5,
                    jobTemplate: {
                        spec: {
                            backoffLimit: 2,
                            activeDeadlineSeconds: 3600,
                            template: {
                                spec: {
                                    serviceAccountName: sa.metadata.name,
                                    restartPolicy: "Never",
                                    containers: [{ name: jobName, image: drImage, command: ["autovideo-dr"], args: command, envFrom }],
                                },
                            },
                        },
                    },
                },
            }, child);
        };
        // Backups are taken where the writes happen; a standby receives them by replication,
        // so its job is declared but suspended until promotion.
        // Kubernetes expands $(VAR) in args from the container's environment; the password comes from
        // PGPASSWORD, which Npgsql reads, so it never appears in the job's spec.
        const database = (name: string) =>
            `Host=$(DATABASE_HOST);Port=$(DATABASE_PORT);Database=${name};Username=autovideo;SSL Mode=Require`;
        job("autovideo-dr-backup", args.backupSchedule, backupServiceAccount, args.backupRoleArn,
            ["backup", "--from", database("autovideo"), "--store", store, "--json"], args.role !== "primary");
        // The plan's monthly backup-restore test (每月: 備份恢復測試): restore the newest backup into a
        // scratch database (checksums verified first, every table compared with the manifest). It
        // needs a writable server, so like the backup it waits for the stack to be primary.
        job("autovideo-dr-restore-test", args.restoreTestSchedule, restoreTestServiceAccount, args.restoreTestRoleArn,
            ["restore", "latest", "--target", database("autovideo_restore_test"), "--force", "--store", store, "--json"], args.role !== "primary");

        this.registerOutputs({ loadBalancerHostname: this.loadBalancerHostname });
    }
}
