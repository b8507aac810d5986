//! Opaque pagination cursors.
//!
//! A cursor encodes the offset of the next page and a fingerprint of the list it belongs to,
//! as hex, so clients cannot usefully edit it and a cursor from another list is refused.

use spate_protocol::ErrorObject;

/// Splits `items` into the page a cursor asks for, returning the page and the next cursor.
///
/// `fingerprint` identifies the list (e.g. which method); a cursor minted for another list,
/// or one that does not parse, is `-32602 Invalid params`.
pub(super) fn paginate<T: Clone>(
    items: &[T],
    cursor: Option<&str>,
    page_size: usize,
    fingerprint: u32,
) -> Result<(Vec<T>, Option<String>), ErrorObject> {
    let start = match cursor {
        None => 0,
        Some(c) => decode(c, fingerprint)
            .ok_or_else(|| ErrorObject::invalid_params(format!("Invalid cursor: {c:?}")))?,
    };
    if start > items.len() {
        return Err(ErrorObject::invalid_params(
            "Invalid cursor: past the end of the list",
        ));
    }
    let page_size = page_size.max(1);
    let end = start.saturating_add(page_size).min(items.len());
    let next = (end < items.len()).then(|| encode(end, fingerprint));
    Ok((items[start..end].to_vec(), next))
}

fn encode(offset: usize, fingerprint: u32) -> String {
    let offset = offset as u64;
    let check = (offset as u32) ^ fingerprint ^ 0x5a17_e0c5;
    format!("{offset:016x}{fingerprint:08x}{check:08x}")
}

fn decode(cursor: &str, fingerprint: u32) -> Option<usize> {
    if cursor.len() != 32 || !cursor.is_ascii() {
        return None;
    }
    let offset = u64::from_str_radix(&cursor[..16], 16).ok()?;
    let print = u32::from_str_radix(&cursor[16..24], 16).ok()?;
    let check = u32::from_str_radix(&cursor[24..], 16).ok()?;
    (print == fingerprint && check == (offset as u32) ^ fingerprint ^ 0x5a17_e0c5)
        .then(|| usize::try_from(offset).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_every_page_once() {
        let items: Vec<u32> = (0..7).collect();
        let mut cursor = None;
        let mut seen = Vec::new();
        loop {
            let (page, next) = paginate(&items, cursor.as_deref(), 3, 1).unwrap();
            seen.extend(page);
            match next {
                Some(n) => cursor = Some(n),
                None => break,
            }
        }
        assert_eq!(seen, items);
    }

    #[test]
    fn foreign_or_edited_cursors_are_invalid_params() {
        let items: Vec<u32> = (0..7).collect();
        let (_, next) = paginate(&items, None, 3, 1).unwrap();
        let next = next.unwrap();
        assert_eq!(
            paginate(&items, Some(&next), 3, 2).unwrap_err().code,
            -32602
        );
        let mut edited = next.clone();
        edited.replace_range(15..16, "9");
        assert!(paginate(&items, Some(&edited), 3, 1).is_err());
        for bad in ["", "zz", "é", &"f".repeat(32)] {
            assert_eq!(paginate(&items, Some(bad), 3, 1).unwrap_err().code, -32602);
        }
    }
}
