import PrometheusExposition
import VICI

/// `get-pools`: virtual IP pools, their size and leases.
public enum PoolsCollector: CharonCollector {
    public static let name = "pools"
    public static let summary = "virtual IP pools and their leases from `get-pools`"
    public static let commands = ["get-pools"]

    public static func collect(from vici: some VICIQuerying) async throws -> [AddressPool] {
        AddressPool.all(in: try await vici.call("get-pools", VICIMessage()))
    }

    public static func render(_ model: [AddressPool], context: RenderContext, into metrics: inout MetricSet) {
        var info = family("strongswan_pool_info", "A virtual IP pool and its base address (always 1).", .gauge, ["pool", "base"])
        var addresses = family("strongswan_pool_addresses", "Addresses in the virtual IP pool.", .gauge, ["pool"])
        var leases = family(
            "strongswan_pool_leases",
            "Leases of the pool: online = assigned to a connected client, offline = remembered for a client that left.",
            .gauge, ["pool", "state"])
        for pool in model {
            info.add(1, [pool.name, pool.base])
            addresses.add(pool.size, [pool.name])
            leases.add(pool.online, [pool.name, "online"])
            leases.add(pool.offline, [pool.name, "offline"])
        }
        for family in [info, addresses, leases] { metrics.addNonEmpty(family) }
    }
}
