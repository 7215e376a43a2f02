//! Verification queries kept parsed. A label's QR code always holds the same link, so every
//! phone that scans it sends the same query string: decoding its `link` parameter and parsing
//! the link (path, signed query) is done once per label and process, not once per scan. Only
//! queries that parse are kept; what a query means does not change, so an entry is never stale.

use std::sync::Arc;

use quick_cache::sync::Cache;
use souk_labels::link::LabelLink;

use crate::error::ApiError;

/// What a verification's query asks.
#[derive(Debug, Default)]
pub struct ScanQuery {
    /// The link the QR code holds, parsed; none for a short code typed by hand.
    pub link: Option<LabelLink>,
    /// A coarse place the scanner gave (geohash).
    pub place: Option<String>,
}

/// The parsed queries of this process, by their raw text.
pub struct ScannedLinks {
    parsed: Cache<Box<str>, Arc<ScanQuery>>,
}

/// Queries longer than this are parsed every time rather than kept (a printed link is about
/// 250 characters once encoded).
const LONGEST_KEPT: usize = 1024;

impl ScannedLinks {
    /// Keeps up to `capacity` queries (about 600 bytes each).
    pub fn new(capacity: usize) -> Self {
        Self {
            parsed: Cache::new(capacity.max(1)),
        }
    }

    /// `query` parsed by `parse`, or as parsed before.
    pub fn parse(
        &self,
        query: Option<&str>,
        parse: impl FnOnce(Option<&str>) -> Result<ScanQuery, ApiError>,
    ) -> Result<Arc<ScanQuery>, ApiError> {
        let Some(raw) = query.filter(|q| q.len() <= LONGEST_KEPT) else {
            return parse(query).map(Arc::new);
        };
        if let Some(held) = self.parsed.get(raw) {
            return Ok(held);
        }
        let parsed = Arc::new(parse(Some(raw))?);
        if parsed.link.is_some() {
            self.parsed.insert(raw.into(), Arc::clone(&parsed));
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    const QUERY: &str = "link=%2Fp%2FNAQXH036P4%2F21%2FBGCRKP70W0";

    fn link_query(raw: Option<&str>) -> Result<ScanQuery, ApiError> {
        let link = raw
            .and_then(|q| q.strip_prefix("link="))
            .map(|l| LabelLink::parse(&l.replace("%2F", "/")).map(|(link, _)| link))
            .transpose()
            .map_err(|e| ApiError::validation("link", e.to_string()))?;
        Ok(ScanQuery { link, place: None })
    }

    #[test]
    fn a_link_is_parsed_once_and_other_queries_every_time() {
        let links = ScannedLinks::new(10);
        let parses = Cell::new(0);
        let counted = |raw: Option<&str>| {
            parses.set(parses.get() + 1);
            link_query(raw)
        };
        let parsed = || {
            links
                .parse(Some(QUERY), counted)
                .unwrap_or_else(|e| panic!("{e:?}"))
        };
        let (first, again) = (parsed(), parsed());
        assert_eq!(parses.get(), 1);
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(
            first.link.as_ref().map(|l| l.serial.as_str()),
            Some("BGCRKP70W0")
        );

        // No link (a typed code), and a link that does not parse: not kept.
        for query in [None, Some("code=X"), Some("link=%2Fnot-a-link")] {
            let before = parses.get();
            let _ = links.parse(query, counted);
            let _ = links.parse(query, counted);
            assert_eq!(parses.get(), before + 2, "{query:?}");
        }
        assert!(links.parse(Some("link=%2Fnot-a-link"), link_query).is_err());
    }
}
