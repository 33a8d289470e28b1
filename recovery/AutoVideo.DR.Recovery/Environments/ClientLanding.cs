using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.Environments;

/// <summary>
/// Where a client using an environment's client connection string lands: the port of the node
/// that answered and whether it is in recovery. The one check of "did traffic move".
/// </summary>
public sealed record ClientLanding(int Port, bool InRecovery)
{
    public static async Task<ClientLanding> ProbeAsync(string clientConnectionString, CancellationToken ct)
    {
        await using var connection = await DatabaseConnection.OpenAsync(clientConnectionString, "client", ct);
        await using var query = new Npgsql.NpgsqlCommand("SELECT inet_server_port(), pg_is_in_recovery()", connection);
        await using var reader = await query.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new ClientLanding(reader.GetInt32(0), reader.GetBoolean(1));
    }
}
