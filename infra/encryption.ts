import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface EncryptionArgs {
    /** Provider for the peer region: copies this stack places there are encrypted with a key of that region. */
    peerProvider: aws.Provider;
    tags: Record<string, string>;
}

/** The stack's customer-managed KMS keys: one in its own region, one in the peer region for its copies there. */
export class Encryption extends pulumi.ComponentResource {
    public readonly key: aws.kms.Key;
    public readonly peerKey: aws.kms.Key;

    constructor(name: string, args: EncryptionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:Encryption", name, {}, opts);
        const keyArgs = (purpose: string): aws.kms.KeyArgs => ({
            description: `autovideo-dr ${purpose}`,
            enableKeyRotation: true,
            // The longest wait lets a mistaken deletion be cancelled before data becomes unreadable.
            deletionWindowInDays: 30,
            tags: args.tags,
        });
        this.key = new aws.kms.Key(`${name}-key`, keyArgs("data at rest"), { parent: this });
        new aws.kms.Alias(`${name}-alias`, { name: pulumi.interpolate`alias/${name}`, targetKeyId: this.key.keyId }, { parent: this });
        this.peerKey = new aws.kms.Key(`${name}-peer-key`, keyArgs("copies kept in the peer region"), { parent: this, provider: args.peerProvider });
        this.registerOutputs({ keyArn: this.key.arn, peerKeyArn: this.peerKey.arn });
    }
}
