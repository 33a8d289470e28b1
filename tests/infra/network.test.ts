import { strict as assert } from "node:assert";
import { test } from "node:test";
import fc from "fast-check";
import { maxZones, subnetCidrs } from "../../infra/network";
import { stableJson } from "../../infra/iam";

const toNumber = (ip: string) => ip.split(".").map(Number).reduce((n, o) => n * 256 + o, 0);
const range = (cidr: string) => {
    const [ip, bits] = cidr.split("/");
    const start = toNumber(ip);
    return { start, end: start + 2 ** (32 - Number(bits)), bits: Number(bits) };
};

/** A VPC CIDR as AWS accepts it for this program: /16 to /24, its base aligned to its mask. */
const vpcCidr = fc.tuple(fc.integer({ min: 16, max: 24 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })).map(([mask, address]) => {
    const base = address - (address % 2 ** (32 - mask));
    return `${[24, 16, 8, 0].map(s => Math.floor(base / 2 ** s) % 256).join(".")}/${mask}`;
});

test("subnets are inside the VPC, one per zone and tier, equal, aligned and disjoint", () => {
    fc.assert(fc.property(vpcCidr, fc.integer({ min: 1, max: maxZones }), (cidr, zones) => {
        const vpc = range(cidr);
        const subnets = subnetCidrs(cidr, zones);
        assert.equal(subnets.public.length, zones);
        assert.equal(subnets.private.length, zones);
        const all = [...subnets.public, ...subnets.private].map(range);
        for (const s of all) {
            assert.ok(s.start >= vpc.start && s.end <= vpc.end, `${JSON.stringify(s)} outside ${cidr}`);
            assert.equal(s.bits, vpc.bits + 4);
            assert.equal(s.start % (s.end - s.start), 0, "aligned to its own size");
            assert.ok(s.bits <= 28, "AWS subnets are /28 at the smallest");
        }
        const sorted = [...all].sort((a, b) => a.start - b.start);
        for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i - 1].end <= sorted[i].start, "subnets overlap");
    }));
});

test("a VPC CIDR or zone count that would not fit is refused naming what is accepted", () => {
    assert.throws(() => subnetCidrs("10.0.0.0/25", 3), /accepted: an IPv4 block from \/16 to \/24/);
    assert.throws(() => subnetCidrs("10.0.0.1/16", 3), /not the start of its network/);
    assert.throws(() => subnetCidrs("300.0.0.0/16", 3), /accepted/);
    assert.throws(() => subnetCidrs("10.0.0.0/16", 9), /accepted: 1 to 8/);
    assert.deepEqual(subnetCidrs("10.10.0.0/16", 3), {
        public: ["10.10.0.0/20", "10.10.16.0/20", "10.10.32.0/20"],
        private: ["10.10.128.0/20", "10.10.144.0/20", "10.10.160.0/20"],
    });
});

test("a policy serializes to the same text whatever order its keys were built in", () => {
    fc.assert(fc.property(fc.dictionary(fc.string(), fc.jsonValue()), value => {
        const reversed = Object.fromEntries(Object.entries(value).reverse());
        assert.equal(stableJson(value), stableJson(reversed));
        assert.deepEqual(JSON.parse(stableJson(value)), JSON.parse(JSON.stringify(value)));
    }));
});
