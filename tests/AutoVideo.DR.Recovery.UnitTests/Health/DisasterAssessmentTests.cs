using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Health;
using AutoVideo.DR.Recovery.Objectives;

namespace AutoVideo.DR.Recovery.UnitTests.Health;

public sealed class DisasterAssessmentTests
{
    static ComponentHealth Db(string name, NodeRole role, ComponentStatus status, double lag = 0) =>
        new(name, ComponentKind.Database, status, status.ToString(), TimeSpan.Zero, LagSeconds: lag, ExpectedRole: role);

    static ComponentHealth Part(string name, ComponentKind kind, ComponentStatus status) => new(name, kind, status, status.ToString(), TimeSpan.Zero);

    static Assessment Assess(params ComponentHealth[] components) =>
        DisasterAssessment.Assess(new HealthReport("test", DateTimeOffset.UtcNow, components));

    [Fact]
    public void Everything_on_the_primary_side_down_is_critical()
    {
        var a = Assess(Db("pg-a", NodeRole.Primary, ComponentStatus.Down), Db("pg-b", NodeRole.Standby, ComponentStatus.Healthy),
            Part("cache", ComponentKind.Cache, ComponentStatus.Down), Part("api", ComponentKind.Service, ComponentStatus.Down));
        Assert.Equal(DisasterLevel.Critical, a.Level);
        Assert.Equal(TimeSpan.FromHours(1), a.Objective!.Rto);
        Assert.Equal(TimeSpan.FromMinutes(15), a.Objective.Rpo);
    }

    [Fact]
    public void The_primary_database_down_while_services_run_is_major()
    {
        var a = Assess(Db("pg-a", NodeRole.Primary, ComponentStatus.Down), Db("pg-b", NodeRole.Standby, ComponentStatus.Healthy),
            Part("api", ComponentKind.Service, ComponentStatus.Healthy));
        Assert.Equal(DisasterLevel.Major, a.Level);
        Assert.Contains(a.Reasons, r => r.Contains("primary database is down"));
    }

    [Fact]
    public void Redis_down_or_two_services_down_is_major()
    {
        Assert.Equal(DisasterLevel.Major, Assess(Db("pg-a", NodeRole.Primary, ComponentStatus.Healthy), Part("cache", ComponentKind.Cache, ComponentStatus.Down)).Level);
        Assert.Equal(DisasterLevel.Major, Assess(Db("pg-a", NodeRole.Primary, ComponentStatus.Healthy),
            Part("api", ComponentKind.Service, ComponentStatus.Down), Part("render", ComponentKind.Service, ComponentStatus.Down)).Level);
    }

    [Fact]
    public void One_service_down_a_lagging_standby_or_a_lost_standby_is_minor()
    {
        Assert.Equal(DisasterLevel.Minor, Assess(Db("pg-a", NodeRole.Primary, ComponentStatus.Healthy),
            Part("api", ComponentKind.Service, ComponentStatus.Down), Part("render", ComponentKind.Service, ComponentStatus.Healthy)).Level);
        var lagging = Assess(Db("pg-a", NodeRole.Primary, ComponentStatus.Healthy), Db("pg-b", NodeRole.Standby, ComponentStatus.Healthy, lag: 1200));
        Assert.Equal(DisasterLevel.Minor, lagging.Level);
        Assert.Contains(lagging.Reasons, r => r.Contains("beyond the 15-minute RPO"));
        Assert.Equal(DisasterLevel.Minor, Assess(Db("pg-a", NodeRole.Primary, ComponentStatus.Healthy), Db("pg-b", NodeRole.Standby, ComponentStatus.Down)).Level);
    }

    [Fact]
    public void A_healthy_environment_is_no_disaster_and_a_declared_breach_is_critical_anyway()
    {
        var healthy = new[] { Db("pg-a", NodeRole.Primary, ComponentStatus.Healthy), Db("pg-b", NodeRole.Standby, ComponentStatus.Healthy) };
        Assert.Null(Assess(healthy).Level);
        Assert.Equal(DisasterLevel.Critical, DisasterAssessment.Assess(new HealthReport("t", DateTimeOffset.UtcNow, healthy), securityBreachDeclared: true).Level);
    }

    [Fact]
    public void A_fenced_node_being_down_is_expected_not_a_disaster()
    {
        Assert.Null(Assess(Db("pg-b", NodeRole.Primary, ComponentStatus.Healthy), Db("pg-a", NodeRole.Fenced, ComponentStatus.Down)).Level);
    }

    static ComponentHealth CacheNode(string name, NodeRole role, ComponentStatus status) =>
        new(name, ComponentKind.Cache, status, status.ToString(), TimeSpan.Zero, ExpectedRole: role);

    [Fact]
    public void The_redis_primary_down_is_major_and_its_replica_down_is_minor()
    {
        var primaryDown = Assess(Db("pg-a", NodeRole.Primary, ComponentStatus.Healthy), CacheNode("cache-a", NodeRole.Primary, ComponentStatus.Down), CacheNode("cache-b", NodeRole.Standby, ComponentStatus.Healthy));
        Assert.Equal(DisasterLevel.Major, primaryDown.Level);
        Assert.Contains(primaryDown.Reasons, r => r.Contains("cache-a is down (Redis"));

        var replicaDown = Assess(Db("pg-a", NodeRole.Primary, ComponentStatus.Healthy), CacheNode("cache-a", NodeRole.Primary, ComponentStatus.Healthy), CacheNode("cache-b", NodeRole.Standby, ComponentStatus.Down));
        Assert.Equal(DisasterLevel.Minor, replicaDown.Level);
        Assert.Contains(replicaDown.Reasons, r => r.Contains("Redis replica cache-b is down"));

        Assert.Null(Assess(Db("pg-a", NodeRole.Primary, ComponentStatus.Healthy), CacheNode("cache-a", NodeRole.Primary, ComponentStatus.Healthy), CacheNode("cache-b", NodeRole.Fenced, ComponentStatus.Down)).Level);
    }

    [Fact]
    public void The_primary_database_down_with_no_service_answering_is_critical_even_while_redis_answers()
    {
        var a = Assess(Db("pg-a", NodeRole.Primary, ComponentStatus.Down), Db("pg-b", NodeRole.Standby, ComponentStatus.Healthy),
            CacheNode("cache-a", NodeRole.Primary, ComponentStatus.Healthy), Part("media-uploads", ComponentKind.ObjectStore, ComponentStatus.Healthy));
        Assert.Equal(DisasterLevel.Critical, a.Level);
    }

    [Fact]
    public void A_media_bucket_down_is_major()
    {
        var a = Assess(Db("pg-a", NodeRole.Primary, ComponentStatus.Healthy), Part("media-generated", ComponentKind.ObjectStore, ComponentStatus.Down));
        Assert.Equal(DisasterLevel.Major, a.Level);
        Assert.Contains(a.Reasons, r => r.Contains("object storage"));
    }
}
