import * as pulumi from "@pulumi/pulumi";
import { SecureBucket } from "./secureBucket";

export const mediaKinds = ["uploads", "models", "generated"] as const;
export type MediaKind = (typeof mediaKinds)[number];

export interface MediaBucketsArgs {
    kmsKeyArn: pulumi.Input<string>;
    tags: Record<string, string>;
}

/** The plan's file-system content (用戶上傳檔案、AI 模型、生成內容): user uploads, AI models, generated videos. */
export class MediaBuckets extends pulumi.ComponentResource {
    public readonly buckets: Record<MediaKind, SecureBucket>;

    constructor(name: string, args: MediaBucketsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:MediaBuckets", name, {}, opts);
        const buckets = {} as Record<MediaKind, SecureBucket>;
        for (const kind of mediaKinds) {
            buckets[kind] = new SecureBucket(`${name}-${kind}`, {
                kmsKeyArn: args.kmsKeyArn,
                tags: { ...args.tags, "autovideo-dr:content": kind, "autovideo-dr:backup": "true" },
            }, { parent: this });
        }
        this.buckets = buckets;
        this.registerOutputs(Object.fromEntries(mediaKinds.map(k => [k, buckets[k].bucket.bucket])));
    }
}
