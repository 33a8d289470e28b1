import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** The database and its owner, created by the primary of the first `pulumi up` (infra/database.ts). */
export const databaseName = "autovideo";
export const databaseUser = "autovideo";

/**
 * Name of the Secrets Manager secret with the database credentials, the same in every region: the
 * secret lives in the first environment's region and is replicated to the other, so each
 * environment reads it in its own region, also while the other region is down.
 */
export const databaseSecretName = "autovideo-dr/database";

export interface DatabaseSecretArgs {
    /** Region of the secret itself; the first environment's. */
    homeRegion: string;
    homeProvider: aws.Provider;
    /** Regions that hold a read-only replica of it. */
    replicaRegions: string[];
    tags: Record<string, string>;
}

/**
 * The database master credentials, owned by the stacks rather than by RDS: RDS refuses to create a
 * read replica of an instance whose master password it manages in Secrets Manager ("Creating read
 * replicas when the source DB instance or DB cluster manages credentials with Secrets Manager" is
 * not supported; RDS user guide, Password management with Secrets Manager, Limitations). The
 * password is generated here, set on the primary when it is created, inherited by its replicas,
 * and kept in a secret replicated to the peer region, so after a promotion the new primary's
 * region already holds its credentials (a replica secret reads while its home region is down;
 * `aws secretsmanager stop-replication-to-replica` makes it a standalone secret if that region is lost for good).
 *
 * The secret is encrypted with the AWS managed key aws/secretsmanager: readers need only
 * secretsmanager:GetSecretValue, and a customer key of an environment stack here would make the
 * global stack depend on the environments it serves.
 */
export class DatabaseSecret extends pulumi.ComponentResource {
    public readonly secret: aws.secretsmanager.Secret;
    /** The password, a Pulumi secret. */
    public readonly password: pulumi.Output<string>;
    /** The secret's ARN in each region (a replica keeps the ARN's name and suffix, in its own region). */
    public readonly arns: Record<string, pulumi.Output<string>> = {};

    constructor(name: string, args: DatabaseSecretArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:DatabaseSecret", name, {}, opts);
        const home = { parent: this, provider: args.homeProvider };
        // RDS master passwords: 8 to 128 printable ASCII characters except '/', '"', '@' and space
        // (CreateDBInstance, MasterUserPassword); libpq and Npgsql take all of the rest unquoted.
        const generated = new random.RandomPassword(`${name}-password`, {
            length: 40, special: true, overrideSpecial: "!#%^*()-_=+[]{}<>:?~", minLower: 4, minUpper: 4, minNumeric: 4, minSpecial: 2,
        }, { parent: this });
        this.password = pulumi.secret(generated.result);

        this.secret = new aws.secretsmanager.Secret(name, {
            name: databaseSecretName,
            description: "AutoVideo DR: master credentials of the PostgreSQL database (both environments)",
            replicas: args.replicaRegions.map(region => ({ region })),
            // The longest wait before a deletion takes effect: a mistaken delete can be undone.
            recoveryWindowInDays: 30,
            tags: args.tags,
        }, home);
        new aws.secretsmanager.SecretVersion(name, {
            secretId: this.secret.id,
            secretString: pulumi.secret(pulumi.jsonStringify({
                username: databaseUser, password: this.password, dbname: databaseName, engine: "postgres",
            })),
        }, home);

        this.arns[args.homeRegion] = this.secret.arn;
        for (const region of args.replicaRegions) {
            this.arns[region] = this.secret.arn.apply(arn => arn.replace(`:${args.homeRegion}:`, `:${region}:`));
        }
        this.registerOutputs({ name: databaseSecretName, arns: this.arns });
    }
}
