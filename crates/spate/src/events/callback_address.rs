//! Which addresses a webhook callback may reach (SEP-3415, "Security": SSRF).
//!
//! A server that POSTs to URLs its clients chose must not become a way into the network it
//! runs in. [`AddressPolicy::default`] refuses every address that is not globally routable
//! according to the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890), as
//! SEP-3415's blocklist draws them; an operator can open loopback for development and tests,
//! and allow-list ranges it trusts (an internal receiver, say) with [`IpNetwork`]s.
//!
//! Pure computation: checking a resolved address is the caller's business (the HTTP
//! client's webhook sender checks every address a name resolves to, at each delivery).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// A range of IP addresses in CIDR notation (RFC 4632): an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNetwork {
    addr: IpAddr,
    prefix: u8,
}

/// Why an [`IpNetwork`] could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IpNetworkError {
    /// The address part is not an IPv4 or IPv6 address.
    #[error("not an IP address")]
    Address,
    /// The prefix length is not a decimal number within the family's width (32 or 128).
    #[error("invalid prefix length")]
    Prefix,
    /// Bits after the prefix are set (`10.0.0.1/8`): most likely a typo, so refused rather
    /// than guessed.
    #[error("address bits set beyond the prefix")]
    HostBits,
}

impl IpNetwork {
    /// The range of `prefix` leading bits of `addr`. Refuses a prefix longer than the
    /// address, or an address with bits set after the prefix.
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Self, IpNetworkError> {
        let width = match addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        if prefix > width {
            return Err(IpNetworkError::Prefix);
        }
        let network = Self { addr, prefix };
        if bits(addr) & !network.mask() != 0 {
            return Err(IpNetworkError::HostBits);
        }
        Ok(network)
    }

    /// The first address of the range.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` is in the range. Addresses of the other family never are (compare an
    /// IPv4-mapped IPv6 address as IPv4 with [`Ipv6Addr::to_ipv4_mapped`] first).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
                bits(ip) & self.mask() == bits(self.addr)
            }
            _ => false,
        }
    }

    /// The prefix as a mask over the address bits (IPv4 in the low 32 bits).
    fn mask(&self) -> u128 {
        let width: u32 = match self.addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        let all = if width == 32 {
            u128::from(u32::MAX)
        } else {
            u128::MAX
        };
        let host_bits = width - u32::from(self.prefix);
        // `checked_shl` is None for a shift by the full 128 bits: a /0 of IPv6.
        all & all.checked_shl(host_bits).unwrap_or(0)
    }
}

fn bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

impl FromStr for IpNetwork {
    type Err = IpNetworkError;

    /// Parses `10.0.0.0/8` or `fd00::/8`; a bare address is a range of one.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| IpNetworkError::Address)?;
        let prefix = match prefix {
            // Digits only: `u8::from_str` would take a leading `+`.
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse().map_err(|_| IpNetworkError::Prefix)?
            }
            Some(_) => return Err(IpNetworkError::Prefix),
            None if addr.is_ipv4() => 32,
            None => 128,
        };
        Self::new(addr, prefix)
    }
}

impl fmt::Display for IpNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Which addresses webhook callbacks may be sent to.
///
/// The default is strict: only globally routable addresses. IPv4 refuses `0.0.0.0/8`,
/// `10.0.0.0/8`, `100.64.0.0/10`, `127.0.0.0/8`, `169.254.0.0/16`, `172.16.0.0/12`,
/// `192.0.0.0/24`, `192.0.2.0/24`, `192.168.0.0/16`, `198.18.0.0/15`, `198.51.100.0/24`,
/// `203.0.113.0/24` and `224.0.0.0/3`. An IPv4-mapped IPv6 address (`::ffff:0:0/96`) is
/// judged as the IPv4 address it carries; any other IPv6 address must be in `2000::/3` and
/// outside `2001::/23`, `2001:db8::/32` and `2002::/16` (6to4), so `::`, `::1`, NAT64,
/// unique-local, link-local and multicast addresses are all refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AddressPolicy {
    /// Allow loopback (`127.0.0.0/8` and `::1`). For development and tests only.
    pub allow_loopback: bool,
    /// Ranges allowed whatever the table says: receivers the operator trusts on a private
    /// network. An IPv4-mapped IPv6 address is matched as IPv4.
    pub allowed: Vec<IpNetwork>,
}

/// IPv4 ranges that are not globally routable, as (first address, prefix length).
const REFUSED_V4: [([u8; 4], u8); 13] = [
    ([0, 0, 0, 0], 8),       // "this network" (RFC 791)
    ([10, 0, 0, 0], 8),      // private use (RFC 1918)
    ([100, 64, 0, 0], 10),   // shared address space, carrier-grade NAT (RFC 6598)
    ([127, 0, 0, 0], 8),     // loopback (RFC 1122)
    ([169, 254, 0, 0], 16),  // link local, cloud metadata services (RFC 3927)
    ([172, 16, 0, 0], 12),   // private use (RFC 1918)
    ([192, 0, 0, 0], 24),    // IETF protocol assignments (RFC 6890)
    ([192, 0, 2, 0], 24),    // documentation, TEST-NET-1 (RFC 5737)
    ([192, 168, 0, 0], 16),  // private use (RFC 1918)
    ([198, 18, 0, 0], 15),   // benchmarking (RFC 2544)
    ([198, 51, 100, 0], 24), // documentation, TEST-NET-2 (RFC 5737)
    ([203, 0, 113, 0], 24),  // documentation, TEST-NET-3 (RFC 5737)
    ([224, 0, 0, 0], 3),     // multicast (RFC 5771), reserved (RFC 1112), broadcast
];

/// Ranges inside the global unicast `2000::/3` that are refused, as (first 16-bit group,
/// second group, prefix length).
const REFUSED_V6: [(u16, u16, u8); 3] = [
    (0x2001, 0, 23), // IETF protocol assignments (RFC 2928): Teredo, benchmarking, ORCHID
    (0x2001, 0xdb8, 32), // documentation (RFC 3849)
    (0x2002, 0, 16), // 6to4 (RFC 3056): would reach any IPv4 address, private ones too
];

fn in_v4(ip: Ipv4Addr, first: [u8; 4], prefix: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(first))
}

fn in_v6(ip: Ipv6Addr, first: Ipv6Addr, prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    u128::from(ip) & mask == u128::from(first)
}

impl AddressPolicy {
    /// The strict policy (the default): globally routable addresses only.
    pub fn strict() -> Self {
        Self::default()
    }

    /// Whether a callback may be sent to `ip`.
    pub fn allows(&self, ip: IpAddr) -> bool {
        // An IPv4-mapped IPv6 address reaches the IPv4 address it carries.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        if self.allowed.iter().any(|network| network.contains(ip)) {
            return true;
        }
        if self.allow_loopback && ip.is_loopback() {
            return true;
        }
        is_globally_routable(ip)
    }
}

/// The strict table: true for an address outside every refused range.
fn is_globally_routable(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !REFUSED_V4
            .iter()
            .any(|&(first, prefix)| in_v4(v4, first, prefix)),
        IpAddr::V6(v6) => {
            let global_unicast = in_v6(v6, Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3);
            global_unicast
                && !REFUSED_V6
                    .iter()
                    .any(|&(a, b, prefix)| in_v6(v6, Ipv6Addr::new(a, b, 0, 0, 0, 0, 0, 0), prefix))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test address")
    }

    /// Every row of the strict table, with the addresses on both edges of each range and
    /// just outside it.
    #[test]
    fn strict_table() {
        let cases: &[(&str, bool)] = &[
            // 0.0.0.0/8
            ("0.0.0.0", false),
            ("0.255.255.255", false),
            ("1.0.0.0", true),
            // 10.0.0.0/8
            ("9.255.255.255", true),
            ("10.0.0.0", false),
            ("10.255.255.255", false),
            ("11.0.0.0", true),
            // 100.64.0.0/10
            ("100.63.255.255", true),
            ("100.64.0.0", false),
            ("100.127.255.255", false),
            ("100.128.0.0", true),
            // 127.0.0.0/8
            ("126.255.255.255", true),
            ("127.0.0.0", false),
            ("127.0.0.1", false),
            ("127.255.255.255", false),
            ("128.0.0.0", true),
            // 169.254.0.0/16
            ("169.253.255.255", true),
            ("169.254.0.0", false),
            ("169.254.169.254", false),
            ("169.254.255.255", false),
            ("169.255.0.0", true),
            // 172.16.0.0/12
            ("172.15.255.255", true),
            ("172.16.0.0", false),
            ("172.31.255.255", false),
            ("172.32.0.0", true),
            // 192.0.0.0/24 and 192.0.2.0/24
            ("191.255.255.255", true),
            ("192.0.0.0", false),
            ("192.0.0.255", false),
            ("192.0.1.0", true),
            ("192.0.1.255", true),
            ("192.0.2.0", false),
            ("192.0.2.255", false),
            ("192.0.3.0", true),
            // 192.168.0.0/16
            ("192.167.255.255", true),
            ("192.168.0.0", false),
            ("192.168.255.255", false),
            ("192.169.0.0", true),
            // 198.18.0.0/15
            ("198.17.255.255", true),
            ("198.18.0.0", false),
            ("198.19.255.255", false),
            ("198.20.0.0", true),
            // 198.51.100.0/24
            ("198.51.99.255", true),
            ("198.51.100.0", false),
            ("198.51.100.255", false),
            ("198.51.101.0", true),
            // 203.0.113.0/24
            ("203.0.112.255", true),
            ("203.0.113.0", false),
            ("203.0.113.255", false),
            ("203.0.114.0", true),
            // 224.0.0.0/3: multicast, reserved, broadcast
            ("223.255.255.255", true),
            ("224.0.0.0", false),
            ("240.0.0.1", false),
            ("255.255.255.255", false),
            // ordinary public addresses
            ("8.8.8.8", true),
            ("93.184.216.34", true),
            // IPv4-mapped IPv6: judged as IPv4
            ("::ffff:0:0", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:10.1.2.3", false),
            ("::ffff:169.254.169.254", false),
            ("::ffff:8.8.8.8", true),
            // IPv6 outside 2000::/3
            ("::", false),
            ("::1", false),
            ("::8.8.8.8", false), // IPv4-compatible (deprecated)
            ("64:ff9b::", false),
            ("64:ff9b::808:808", false),
            ("64:ff9b:1::", false),
            ("64:ff9b:1:ffff:ffff:ffff:ffff:ffff", false),
            ("100::", false),
            ("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false),
            ("fc00::", false),
            ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false),
            ("fe80::", false),
            ("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false),
            ("ff00::", false),
            ("ff02::1", false),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false),
            ("4000::", false),
            // 2000::/3 and its exceptions
            ("2000::", true),
            ("2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true),
            ("2001::", false),
            ("2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", false),
            ("2001:200::", true),
            ("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", true),
            ("2001:db8::", false),
            ("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", false),
            ("2001:db9::", true),
            ("2001:4860:4860::8888", true),
            ("2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true),
            ("2002::", false),
            ("2002:c0a8:101::1", false),
            ("2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false),
            ("2003::", true),
            ("2606:4700::1111", true),
            ("3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true),
        ];
        let strict = AddressPolicy::strict();
        for &(address, allowed) in cases {
            assert_eq!(strict.allows(ip(address)), allowed, "{address}");
        }
    }

    #[test]
    fn allow_loopback_opens_loopback_only() {
        let policy = AddressPolicy {
            allow_loopback: true,
            ..AddressPolicy::default()
        };
        for address in ["127.0.0.1", "127.255.255.255", "::1", "::ffff:127.0.0.1"] {
            assert!(policy.allows(ip(address)), "{address}");
        }
        for address in ["10.0.0.1", "0.0.0.0", "::", "169.254.169.254", "fe80::1"] {
            assert!(!policy.allows(ip(address)), "{address}");
        }
    }

    #[test]
    fn allow_list_opens_its_ranges() {
        let policy = AddressPolicy {
            allowed: vec![
                "10.1.0.0/16".parse().expect("v4"),
                "fd00:1::/32".parse().expect("v6"),
                "192.168.1.7".parse().expect("one address"),
            ],
            ..AddressPolicy::default()
        };
        let cases: &[(&str, bool)] = &[
            ("10.1.0.0", true),
            ("10.1.255.255", true),
            ("10.0.255.255", false),
            ("10.2.0.0", false),
            ("::ffff:10.1.2.3", true),
            ("fd00:1::", true),
            ("fd00:1:ffff:ffff:ffff:ffff:ffff:ffff", true),
            ("fd00:2::", false),
            ("192.168.1.7", true),
            ("192.168.1.8", false),
            ("127.0.0.1", false),
            ("8.8.8.8", true),
        ];
        for &(address, allowed) in cases {
            assert_eq!(policy.allows(ip(address)), allowed, "{address}");
        }
    }

    #[test]
    fn networks_parse_and_contain() {
        let all_v4: IpNetwork = "0.0.0.0/0".parse().expect("/0");
        assert!(all_v4.contains(ip("255.255.255.255")));
        assert!(!all_v4.contains(ip("::1")));
        let all_v6: IpNetwork = "::/0".parse().expect("/0");
        assert!(all_v6.contains(ip("ffff::")));
        assert!(!all_v6.contains(ip("1.2.3.4")));
        let one: IpNetwork = "::1".parse().expect("bare");
        assert_eq!(one.prefix(), 128);
        assert_eq!(one.to_string(), "::1/128");
        assert!(one.contains(ip("::1")));
        assert!(!one.contains(ip("::2")));
        let net: IpNetwork = "172.16.0.0/12".parse().expect("v4");
        assert_eq!(net.addr(), ip("172.16.0.0"));
        assert!(net.contains(ip("172.31.255.255")));
        assert!(!net.contains(ip("172.32.0.0")));

        let refused: &[(&str, IpNetworkError)] = &[
            ("10.0.0.1/8", IpNetworkError::HostBits),
            ("10.0.0.0/33", IpNetworkError::Prefix),
            ("::/129", IpNetworkError::Prefix),
            ("10.0.0.0/", IpNetworkError::Prefix),
            ("10.0.0.0/+8", IpNetworkError::Prefix),
            ("10.0.0.0/0008", IpNetworkError::Prefix),
            ("10.0.0.0/8/8", IpNetworkError::Prefix),
            ("10.0.0/8", IpNetworkError::Address),
            ("", IpNetworkError::Address),
            ("example.com/8", IpNetworkError::Address),
            ("fe80::1%eth0/64", IpNetworkError::Address),
        ];
        for (text, error) in refused {
            assert_eq!(text.parse::<IpNetwork>().as_ref(), Err(error), "{text}");
        }
    }
}
