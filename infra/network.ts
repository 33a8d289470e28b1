import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** The most zones a VPC is cut for: public subnets take the first 8 of 16 slots, private ones the next 8. */
export const maxZones = 8;

/**
 * The subnets of a VPC, a pure function of its CIDR: 16 equal slots of /(mask+4); the public
 * subnet of zone i takes slot i, the private one slot 8+i. Refuses what would not fit (a mask
 * above /24 leaves subnets smaller than AWS's /28 minimum; more than 8 zones; a base address
 * that is not the network's own).
 */
export function subnetCidrs(vpcCidr: string, zones: number): { public: string[]; private: string[] } {
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(vpcCidr);
    const octets = match ? match.slice(1, 5).map(Number) : [];
    const mask = match ? Number(match[5]) : NaN;
    if (!match || octets.some(o => o > 255) || mask < 16 || mask > 24) {
        throw new Error(`VPC CIDR ${JSON.stringify(vpcCidr)}; accepted: an IPv4 block from /16 to /24 (AWS allows /16 to /28 for the VPC, and its subnets are /(mask+4), at least /28)`);
    }
    if (!Number.isInteger(zones) || zones < 1 || zones > maxZones) throw new Error(`${zones} zones; accepted: 1 to ${maxZones}`);
    const base = octets.reduce((n, o) => n * 256 + o, 0);
    const size = 2 ** (32 - (mask + 4));
    if (base % (size * 16) !== 0) throw new Error(`VPC CIDR ${vpcCidr} is not the start of its network; accepted: an address aligned to /${mask}`);
    const slot = (index: number) => {
        const start = base + index * size;
        return `${[24, 16, 8, 0].map(shift => Math.floor(start / 2 ** shift) % 256).join(".")}/${mask + 4}`;
    };
    return {
        public: Array.from({ length: zones }, (_, i) => slot(i)),
        private: Array.from({ length: zones }, (_, i) => slot(maxZones + i)),
    };
}

export interface NetworkArgs {
    cidr: string;
    /** Availability zones to span; every tier gets one subnet per zone. */
    zones: string[];
    tags: Record<string, string>;
}

/**
 * A VPC over every configured zone with a public and a private subnet per zone and a NAT gateway
 * per zone, so losing one zone never cuts the other zones' egress (no single-zone dependency).
 */
export class Network extends pulumi.ComponentResource {
    public readonly vpc: aws.ec2.Vpc;
    public readonly publicSubnetIds: pulumi.Output<string>[];
    public readonly privateSubnetIds: pulumi.Output<string>[];
    public readonly natGatewayIds: pulumi.Output<string>[];

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:Network", name, {}, opts);
        const subnets = subnetCidrs(args.cidr, args.zones.length);
        const child = { parent: this };

        this.vpc = new aws.ec2.Vpc(`${name}-vpc`, {
            cidrBlock: args.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { ...args.tags, Name: name },
        }, child);
        const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: this.vpc.id, tags: args.tags }, child);
        const publicRoutes = new aws.ec2.RouteTable(`${name}-public`, {
            vpcId: this.vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: args.tags,
        }, child);

        this.publicSubnetIds = [];
        this.privateSubnetIds = [];
        this.natGatewayIds = [];
        args.zones.forEach((zone, i) => {
            const pub = new aws.ec2.Subnet(`${name}-public-${zone}`, {
                vpcId: this.vpc.id, availabilityZone: zone, cidrBlock: subnets.public[i], mapPublicIpOnLaunch: false,
                // The tags EKS looks for when it places internet-facing load balancers.
                tags: { ...args.tags, Name: `${name}-public-${zone}`, "kubernetes.io/role/elb": "1" },
            }, child);
            new aws.ec2.RouteTableAssociation(`${name}-public-${zone}`, { subnetId: pub.id, routeTableId: publicRoutes.id }, child);

            const eip = new aws.ec2.Eip(`${name}-nat-${zone}`, { domain: "vpc", tags: args.tags }, child);
            const nat = new aws.ec2.NatGateway(`${name}-nat-${zone}`, {
                subnetId: pub.id, allocationId: eip.id, tags: { ...args.tags, Name: `${name}-nat-${zone}` },
            }, child);

            const priv = new aws.ec2.Subnet(`${name}-private-${zone}`, {
                vpcId: this.vpc.id, availabilityZone: zone, cidrBlock: subnets.private[i],
                tags: { ...args.tags, Name: `${name}-private-${zone}`, "kubernetes.io/role/internal-elb": "1" },
            }, child);
            // Each private subnet leaves through the NAT of its own zone.
            const privateRoutes = new aws.ec2.RouteTable(`${name}-private-${zone}`, {
                vpcId: this.vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags: args.tags,
            }, child);
            new aws.ec2.RouteTableAssociation(`${name}-private-${zone}`, { subnetId: priv.id, routeTableId: privateRoutes.id }, child);

            this.publicSubnetIds.push(pub.id);
            this.privateSubnetIds.push(priv.id);
            this.natGatewayIds.push(nat.id);
        });

        this.registerOutputs({ vpcId: this.vpc.id, publicSubnetIds: this.publicSubnetIds, privateSubnetIds: this.privateSubnetIds });
    }
}

/** Where a data store sits: the private subnets, and who inside the VPC may reach it. */
export interface PrivatePlacement {
    subnetIds: pulumi.Input<string>[];
    vpcId: pulumi.Input<string>;
    /** Only these CIDRs (the VPC) may reach the service port. */
    allowedCidrs: pulumi.Input<string>[];
}

/** A security group that admits one TCP port from the placement's CIDRs only. */
export function privateServiceGroup(name: string, placement: PrivatePlacement, port: number, what: string,
    tags: Record<string, string>, opts: pulumi.CustomResourceOptions): aws.ec2.SecurityGroup {
    return new aws.ec2.SecurityGroup(name, {
        vpcId: placement.vpcId,
        description: `${what} from inside the VPC only`,
        ingress: [{ protocol: "tcp", fromPort: port, toPort: port, cidrBlocks: placement.allowedCidrs }],
        egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
        tags,
    }, opts);
}
