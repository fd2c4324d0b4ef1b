//! Names as each target language wants them, from the words of a JSON name
//! (`firstName`, `first_name`, `first-name` are all the words `first`, `name`).

/// The lower-case words of `name`: split at anything not a letter or digit and where a
/// lower-case letter or digit is followed by an upper-case one.
pub(crate) fn words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// `FirstName`.
pub(crate) fn pascal(name: &str) -> String {
    words(name)
        .iter()
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// `first_name`.
pub(crate) fn snake(name: &str) -> String {
    words(name).join("_")
}

/// `first-name`, each word starting with a letter (as WIT requires: `2fa` -> `n2fa`).
pub(crate) fn kebab(name: &str) -> String {
    words(name)
        .into_iter()
        .map(|w| {
            if w.starts_with(|c: char| c.is_ascii_digit()) {
                format!("n{w}")
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_names_become_each_languages_names() {
        assert_eq!(words("firstName"), ["first", "name"]);
        assert_eq!(words("HTTPStatus_code-2"), ["httpstatus", "code", "2"]);
        assert_eq!(pascal("greet_input"), "GreetInput");
        assert_eq!(snake("firstName"), "first_name");
        assert_eq!(kebab("userId2fa"), "user-id2fa");
        assert_eq!(kebab("2fa code"), "n2fa-code");
        assert!(words("!!").is_empty());
    }
}
