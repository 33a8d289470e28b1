import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { pruneArguments } from "./backupTiers";
import { databaseUser } from "./credentials";
import { backupServiceAccount, pruneServiceAccount, restoreTestServiceAccount } from "./jobRoles";
import { pushgatewayUrl } from "./metricSources";
import { databaseCredentialsKeys, databaseCredentialsSecret } from "./secretSync";
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
    /** Secrets Manager secret with the database credentials, in this region. */
    databaseSecretArn: pulumi.Input<string>;
}

/** The DR jobs: what each runs, as whom, when, in which role, and the metrics it pushes. */
export type DrJobName = "autovideo-dr-backup" | "autovideo-dr-prune" | "autovideo-dr-restore-test";
export interface DrJob {
    name: DrJobName;
    serviceAccount: string;
    /** Runs only while the stack is primary (suspended on a standby). */
    primaryOnly: boolean;
    /** Metric names (prefixes) the command's run pushes to the Pushgateway. */
    pushes: string[];
}
export const drJobs: DrJob[] = [
    // Backups are taken where the writes happen; a standby receives them by replication.
    { name: "autovideo-dr-backup", serviceAccount: backupServiceAccount, primaryOnly: true, pushes: ["autovideo_dr_backup_"] },
    // Retention applies to every backup bucket, the standby's replicas included.
    { name: "autovideo-dr-prune", serviceAccount: pruneServiceAccount, primaryOnly: false, pushes: ["autovideo_dr_backup_newest_", "autovideo_dr_backup_count", "autovideo_dr_prune_"] },
    // The plan's monthly backup-restore test (每月: 備份恢復測試): it needs a writable server.
    { name: "autovideo-dr-restore-test", serviceAccount: restoreTestServiceAccount, primaryOnly: true, pushes: ["autovideo_dr_restore_"] },
];

/** Where a job's CLI keeps its working files (a writable emptyDir under a read-only root). */
export const jobWorkDirectory = "/var/lib/autovideo-dr";

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
    pruneSchedule: string;
    endpoints: Endpoints;
    /** IAM role of each job's service account. */
    jobRoleArns: Record<DrJobName, pulumi.Input<string>>;
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
    public readonly namespace: k8s.core.v1.Namespace;
    public readonly deployments: Record<string, k8s.apps.v1.Deployment> = {};
    public readonly cronJobs: Record<DrJobName, k8s.batch.v1.CronJob>;
    /** Host name of the public load balancer in front of the api-gateway. */
    public readonly loadBalancerHostname: pulumi.Output<string>;

    constructor(name: string, args: WorkloadsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:Workloads", name, {}, opts);
        const child = { parent: this };
        this.namespace = new k8s.core.v1.Namespace(namespaceName, { metadata: { name: namespaceName } }, child);
        const namespace = this.namespace.metadata.name;
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
        // Pods read the ConfigMap when they start: a changed endpoint (a new cache group after a
        // promotion, a new database generation) must roll them, so its digest is in the pod template.
        const endpointsDigest = pulumi.output(env.data).apply(d => createHash("sha256").update(JSON.stringify(d)).digest("hex"));

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
                        metadata: { labels, annotations: { "autovideo-dr/endpoints-sha256": endpointsDigest } },
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
        // Kubernetes expands $(VAR) in args from the container's environment; the password reaches
        // Npgsql and pg_dump as PGPASSWORD from the synced Secret, so it never appears in the spec.
        const database = (name: string) =>
            `Host=$(DATABASE_HOST);Port=$(DATABASE_PORT);Database=${name};Username=${databaseUser};SSL Mode=Require`;
        const common = (command: pulumi.Input<string>[]) => [...command, "--store", store, "--json", "--metrics-push", pushgatewayUrl];
        const commands: Record<DrJobName, { schedule: string; args: pulumi.Input<string>[] }> = {
            "autovideo-dr-backup": { schedule: args.backupSchedule, args: common(["backup", "--from", database("autovideo")]) },
            "autovideo-dr-prune": { schedule: args.pruneSchedule, args: common(["backups", "prune", ...pruneArguments()]) },
            // Restores the newest backup into a scratch database (checksums verified first, every table compared with the manifest).
            "autovideo-dr-restore-test": { schedule: args.restoreTestSchedule, args: common(["restore", "latest", "--target", database("autovideo_restore_test"), "--force"]) },
        };

        const cronJobs = {} as Record<DrJobName, k8s.batch.v1.CronJob>;
        for (const job of drJobs) {
            const sa = new k8s.core.v1.ServiceAccount(job.serviceAccount, {
                metadata: { namespace, name: job.serviceAccount, annotations: { "eks.amazonaws.com/role-arn": args.jobRoleArns[job.name] } },
            }, child);
            cronJobs[job.name] = new k8s.batch.v1.CronJob(job.name, {
                metadata: { namespace, name: job.name },
                spec: {
                    schedule: commands[job.name].schedule,
                    suspend: job.primaryOnly && args.role !== "primary",
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
                                    // The image's user (Dockerfile: UID 1654, the .NET images' "app").
                                    securityContext: { runAsNonRoot: true, runAsUser: 1654, runAsGroup: 1654, fsGroup: 1654, seccompProfile: { type: "RuntimeDefault" } },
                                    containers: [{
                                        name: job.name,
                                        image: drImage,
                                        command: ["autovideo-dr"],
                                        args: commands[job.name].args,
                                        envFrom,
                                        env: [
                                            { name: databaseCredentialsKeys.password, valueFrom: { secretKeyRef: { name: databaseCredentialsSecret, key: databaseCredentialsKeys.password } } },
                                            { name: "AUTOVIDEO_DR_HOME", value: jobWorkDirectory },
                                        ],
                                        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                                        volumeMounts: [{ name: "work", mountPath: jobWorkDirectory }, { name: "tmp", mountPath: "/tmp" }],
                                        resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "4Gi" } },
                                    }],
                                    volumes: [{ name: "work", emptyDir: {} }, { name: "tmp", emptyDir: {} }],
                                },
                            },
                        },
                    },
                },
            }, child);
        }
        this.cronJobs = cronJobs;

        this.registerOutputs({ loadBalancerHostname: this.loadBalancerHostname });
    }
}
