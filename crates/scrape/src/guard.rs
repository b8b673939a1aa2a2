//! Which URLs the analyzer may fetch at all: the SSRF guard around a listing's own website.
//!
//! A URL passes only when it is http(s), carries no credentials, names its host by a public DNS
//! name (never an IP literal, never a special-use or internal name) and uses the scheme's
//! default port. Redirects are checked again at every hop, at most [`MAX_REDIRECTS`] of them.
//!
//! What a URL cannot say is out of reach here: a public name may still resolve to a private
//! address (DNS rebinding), and a Worker has no DNS API to look. That last step is covered by
//! Cloudflare's `fetch`, which refuses to connect Workers to private address targets; the guard
//! covers everything the URL itself says.
//!
//! Locally and in tests the websites are fakes on loopback, so a local-only allow-list of exact
//! origins (scheme, host and port) lifts the host and port rules for them — never the scheme
//! and credentials rules. Production runs with an empty allow-list (the config check enforces it).

use std::fmt;

use url::{Host, Origin, Url};

/// Our crawler's product token: robots.txt groups are matched on it.
pub const USER_AGENT_TOKEN: &str = "KiamichiBizConnectBot";
/// The full `User-Agent` header value of every request the analyzer makes.
pub const USER_AGENT: &str = "KiamichiBizConnectBot/1.0 (+https://kiamichibizconnect.com/about)";
/// Redirects followed per page; the next one is [`Refusal::TooManyRedirects`].
pub const MAX_REDIRECTS: u8 = 3;
/// Cap on the bytes read of one page.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Why a URL may not be fetched. `Display` is one plain sentence for operators and owners; it
/// never repeats the URL, which may carry credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not an absolute URL (or a redirect's `Location` that does not resolve to one).
    Unparsable,
    /// Neither http nor https.
    Scheme,
    /// A user name or password in the URL (`http://good.com@10.0.0.1/` is this).
    Credentials,
    /// The host is an IPv4 or IPv6 address, in whatever spelling.
    IpLiteral,
    /// An explicit port other than the scheme's default.
    Port,
    /// The host is not shaped like a public DNS name (a single label, a numeric last label,
    /// an empty label, characters no host name has).
    NotPublicName,
    /// The host is, or is under, a name reserved for special use.
    ReservedName {
        /// The reserved name the host is or is under, such as `example.com` or `local`.
        name: &'static str,
        /// Why it is reserved, completing "… which …".
        reason: &'static str,
    },
    /// One redirect more than [`MAX_REDIRECTS`].
    TooManyRedirects,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unparsable => f.write_str("The website address is not a complete web address."),
            Self::Scheme => f.write_str("Only http and https website addresses are read."),
            Self::Credentials => {
                f.write_str("Website addresses with a user name or password are not read.")
            }
            Self::IpLiteral => {
                f.write_str("The website address must use a host name, not an IP address.")
            }
            Self::Port => f.write_str("The website address must not name a port such as :8080."),
            Self::NotPublicName => {
                f.write_str("The website's host name is not a public internet name.")
            }
            Self::ReservedName { name, reason } => {
                write!(
                    f,
                    "The website's host name is under {name}, which {reason}."
                )
            }
            Self::TooManyRedirects => {
                write!(f, "The website redirected more than {MAX_REDIRECTS} times.")
            }
        }
    }
}

impl std::error::Error for Refusal {}

/// Special-use and internal names (RFC 2606, RFC 6761, RFC 6762, RFC 7686, RFC 8375, RFC 9476,
/// ICANN's `.internal`) and the private-network suffixes in common use. A host equal to one of
/// these or under it is refused; the first match names the reason, so `home.arpa` precedes `arpa`.
const RESERVED: &[(&str, &str)] = &[
    ("localhost", "names the computer itself"),
    ("localdomain", "names the computer's own network"),
    ("local", "is for multicast DNS on a local network"),
    ("internal", "is reserved for private networks"),
    ("intranet", "is used only inside private networks"),
    ("lan", "is used only inside private networks"),
    ("home", "is used only inside private networks"),
    ("corp", "is used only inside private networks"),
    ("home.arpa", "is reserved for home networks"),
    ("arpa", "is reserved for internet infrastructure"),
    ("test", "is reserved for testing"),
    ("example", "is reserved for documentation"),
    ("example.com", "is reserved for documentation"),
    ("example.net", "is reserved for documentation"),
    ("example.org", "is reserved for documentation"),
    ("invalid", "is reserved for names that never exist"),
    (
        "onion",
        "names Tor onion services, which the web cannot reach",
    ),
    ("alt", "is reserved for names outside the internet's DNS"),
];

/// The rule set: the URL rules plus the local-only allow-list of exact origins.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    allowed: Vec<Origin>,
}

impl Guard {
    /// A guard whose allow-list is the origins of `allowed_origins` (their paths are ignored).
    /// URLs without an http(s) origin cannot be allowed and are left out.
    pub fn new(allowed_origins: impl IntoIterator<Item = Url>) -> Self {
        let allowed = allowed_origins
            .into_iter()
            .filter(is_http)
            .map(|url| url.origin())
            .collect();
        Self { allowed }
    }

    /// Parses a comma- or whitespace-separated list of origins such as the value of
    /// `ANALYZER_ALLOWED_ORIGINS` (`""` is none). An entry that is not a plain http(s) origin
    /// on a loopback host (`http://127.0.0.1:8793`, `http://localhost:8793`, `http://[::1]:8793`)
    /// is an error naming it: the list exists for the local fakes only.
    pub fn from_list(list: &str) -> Result<Self, String> {
        let entries = list
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty());
        let mut allowed = Vec::new();
        for entry in entries {
            let url = Url::parse(entry)
                .ok()
                .filter(is_plain_loopback_origin)
                .ok_or_else(|| {
                    format!(
                        "allow-list entry `{entry}` is not a plain http(s) origin on loopback \
                         such as http://127.0.0.1:8793"
                    )
                })?;
            allowed.push(url);
        }
        Ok(Self::new(allowed))
    }

    /// Whether any origin is allowed past the host and port rules (never in production).
    pub fn has_allow_list(&self) -> bool {
        !self.allowed.is_empty()
    }

    /// The URL to fetch, normalised (fragment dropped, a trailing dot of the host removed),
    /// when `raw` may be fetched.
    pub fn check(&self, raw: &str) -> Result<Url, Refusal> {
        let url = Url::parse(raw).map_err(|_| Refusal::Unparsable)?;
        self.check_url(url)
    }

    /// The next hop of a redirect: `location` resolved against `from`, checked like any URL.
    /// `hops_so_far` is the number of redirects already followed; the hop after
    /// [`MAX_REDIRECTS`] of them is refused.
    pub fn redirect(&self, from: &Url, location: &str, hops_so_far: u8) -> Result<Url, Refusal> {
        if hops_so_far >= MAX_REDIRECTS {
            return Err(Refusal::TooManyRedirects);
        }
        let next = from.join(location).map_err(|_| Refusal::Unparsable)?;
        self.check_url(next)
    }

    fn check_url(&self, mut url: Url) -> Result<Url, Refusal> {
        if !is_http(&url) {
            return Err(Refusal::Scheme);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refusal::Credentials);
        }
        url.set_fragment(None);
        if self.allowed.contains(&url.origin()) {
            return Ok(url);
        }
        let name = match url.host() {
            Some(Host::Domain(name)) => name.to_owned(),
            Some(Host::Ipv4(_) | Host::Ipv6(_)) => return Err(Refusal::IpLiteral),
            None => return Err(Refusal::NotPublicName),
        };
        if url.port().is_some() {
            return Err(Refusal::Port);
        }
        let bare = name.strip_suffix('.').unwrap_or(&name);
        public_name(bare)?;
        if bare.len() != name.len() {
            url.set_host(Some(bare))
                .map_err(|_| Refusal::NotPublicName)?;
        }
        Ok(url)
    }
}

fn is_http(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
}

fn is_plain_loopback_origin(url: &Url) -> bool {
    let loopback = match url.host() {
        Some(Host::Domain(name)) => name == "localhost",
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    loopback
        && is_http(url)
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
}

/// Whether `name` (lowercase ASCII as the URL parser leaves it, without a trailing dot) is
/// not reserved and is shaped like a public DNS name; reserved first, for the clearer reason.
fn public_name(name: &str) -> Result<(), Refusal> {
    if let Some(&(reserved, reason)) = RESERVED
        .iter()
        .find(|(reserved, _)| is_under(name, reserved))
    {
        return Err(Refusal::ReservedName {
            name: reserved,
            reason,
        });
    }
    let labels: Vec<&str> = name.split('.').collect();
    let well_formed = name.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    // A numeric last label is an address the parser did not take for one; top-level domains
    // are letters, or punycode.
    let tld_shaped = labels.last().is_some_and(|tld| {
        tld.bytes().all(|b| b.is_ascii_alphabetic())
            || tld
                .strip_prefix("xn--")
                .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    });
    if well_formed && tld_shaped {
        Ok(())
    } else {
        Err(Refusal::NotPublicName)
    }
}

/// Whether `name` is `suffix` or a subdomain of it (label-wise: `notexample.com` is not under
/// `example.com`).
fn is_under(name: &str, suffix: &str) -> bool {
    name.strip_suffix(suffix)
        .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subdomain_is_under_its_parent_but_a_longer_label_is_not() {
        assert!(is_under("example.com", "example.com"));
        assert!(is_under("shop.example.com", "example.com"));
        assert!(!is_under("notexample.com", "example.com"));
    }

    #[test]
    fn punycode_top_level_domains_are_public_names() {
        assert_eq!(public_name("xn--bcher-kva.xn--p1ai"), Ok(()));
    }

    #[test]
    fn every_reserved_reason_reads_as_a_sentence_end() {
        for (name, reason) in RESERVED {
            let text = Refusal::ReservedName { name, reason }.to_string();
            assert!(text.ends_with('.') && !text.contains(".."), "{text}");
        }
    }
}
