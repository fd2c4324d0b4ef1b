//! Bounds on guest text that reaches the host: an error message or a log line is cut to
//! a fixed length, and the cut says so, so that a guest cannot flood the host's logs or
//! errors with one enormous string.

/// Longest error message kept from `ft_error`, in bytes.
pub const MAX_ERROR_BYTES: usize = 4096;

/// Longest log line kept from `ft_log`, stdout or stderr, in bytes.
pub const MAX_LOG_LINE_BYTES: usize = 64 * 1024;

/// `kept`, the first bytes of a text of `total` bytes, as text (invalid UTF-8 replaced),
/// ending with `... (cut at K of N bytes)` when the text was longer.
pub(crate) fn bounded(kept: &[u8], total: usize) -> String {
    let mut text = String::from_utf8_lossy(kept).into_owned();
    if total > kept.len() {
        text.push_str(&format!("... (cut at {} of {total} bytes)", kept.len()));
    }
    text
}

/// Longest list of names (exports a module has) put in an error message, in bytes.
const MAX_LIST_BYTES: usize = 1024;

/// `names` joined with commas, cut at [`MAX_LIST_BYTES`]; `none` when there are none.
pub(crate) fn bounded_list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut list = String::new();
    let mut total = 0;
    for name in names {
        let separator = if total == 0 { "" } else { ", " };
        total += separator.len() + name.len();
        if list.len() < MAX_LIST_BYTES {
            list.push_str(separator);
            list.push_str(name);
        }
    }
    if total == 0 {
        return "none".to_owned();
    }
    let mut end = list.len().min(MAX_LIST_BYTES);
    while !list.is_char_boundary(end) {
        end -= 1;
    }
    bounded(&list.as_bytes()[..end], total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_within_the_bound_is_kept_as_it_is() {
        assert_eq!(bounded(b"hello", 5), "hello");
    }

    #[test]
    fn a_longer_text_says_where_it_was_cut() {
        assert_eq!(bounded(b"hel", 5), "hel... (cut at 3 of 5 bytes)");
    }

    #[test]
    fn a_list_of_names_is_joined_and_bounded() {
        assert_eq!(bounded_list(["a", "b"].into_iter()), "a, b");
        assert_eq!(bounded_list(std::iter::empty()), "none");
        let many: Vec<String> = (0..1000).map(|i| format!("export{i}")).collect();
        let list = bounded_list(many.iter().map(String::as_str));
        assert!(list.len() < MAX_LIST_BYTES + 64, "{}", list.len());
        assert!(list.ends_with("bytes)"), "{list}");
    }
}
