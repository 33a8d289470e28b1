using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.PointInTime;

namespace AutoVideo.DR.Recovery;

/// <summary>
/// Compile-time JSON metadata for the documents a command reads or writes on every run (manifest,
/// catalog records, throughput record, environment state, incident journal and run lock, bucket
/// inventories): reflection-built metadata was most of a short command's start-up (`backups list`
/// compiled 1,113 methods at run time, 796 of them System.Text.Json's). Each document keeps its own options (names, enums, indentation); this only
/// supplies the metadata, and a type not listed here still falls back to reflection.
/// </summary>
[JsonSerializable(typeof(BackupManifestFile.Sealed))]
[JsonSerializable(typeof(VerificationRecord))]
[JsonSerializable(typeof(BackupClaim))]
[JsonSerializable(typeof(ThroughputRecord))]
[JsonSerializable(typeof(LocalEnvironmentState))]
[JsonSerializable(typeof(PgBackRestSetup))]
[JsonSerializable(typeof(LastRestore))]
[JsonSerializable(typeof(Incidents.JournalEntry))]
[JsonSerializable(typeof(Incidents.RunLockHolder))]
[JsonSerializable(typeof(Media.BucketInventory))]
internal sealed partial class RecoveryJson : JsonSerializerContext
{
    static IJsonTypeInfoResolver? resolver;

    // Built on first use, not in a static initializer: the generator's Default is initialized in the
    // other half of this partial class, in an order C# leaves open. It was null here, and Combine
    // skips a null, so every document went to reflection (a unit test now checks where each comes from).
    public static IJsonTypeInfoResolver Resolver => resolver ??= JsonTypeInfoResolver.Combine(Default, new DefaultJsonTypeInfoResolver());
}
