//! Framing: how JSON-RPC messages are cut out of a byte stream.
//!
//! Two framings, both easy to speak from any language:
//!
//! - [`Framing::Lines`] (the default): one JSON value per line, terminated by `\n` (a
//!   `\r` before it is ignored, blank lines are skipped). JSON text never contains a raw
//!   newline, so no escaping is needed.
//! - [`Framing::ContentLength`]: LSP-style headers, `Content-Length: N\r\n\r\n` then `N`
//!   bytes of JSON.
//!
//! Every frame is bounded by a maximum size: a longer one is a [`FrameError::TooLarge`]
//! error instead of unbounded buffering.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt};

/// How messages are delimited on a stream: the manifest's `framing` field.
pub use interop_protocol::manifest::Framing;

/// Why no frame could be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The frame is longer than the limit.
    #[error("frame of more than {limit} bytes (the maximum frame size)")]
    TooLarge {
        /// The maximum frame size, in bytes.
        limit: usize,
    },
    /// A `Content-Length` header block could not be read.
    #[error("bad frame header: {0}")]
    BadHeader(String),
    /// Reading failed.
    #[error("read failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Longest header line accepted in [`Framing::ContentLength`] mode.
const MAX_HEADER_LINE: usize = 1024;

/// Reads frames from a buffered byte stream.
#[derive(Debug)]
pub struct FrameReader<R> {
    inner: R,
    framing: Framing,
    max: usize,
    /// After an over-long line, the rest of it is skipped before the next frame.
    skipping: bool,
}

impl<R: AsyncRead + Unpin> FrameReader<tokio::io::BufReader<R>> {
    /// Whether input is already buffered (the next frame may need no read).
    pub fn has_buffered(&self) -> bool {
        !self.inner.buffer().is_empty()
    }
}

impl<R: AsyncBufRead + Unpin> FrameReader<R> {
    /// Frames of at most `max` bytes from `inner`.
    pub fn new(inner: R, framing: Framing, max: usize) -> Self {
        FrameReader {
            inner,
            framing,
            max,
            skipping: false,
        }
    }

    /// The next frame, or `None` at a clean end of stream. After
    /// [`FrameError::TooLarge`] in line mode, the next call resumes after that line.
    pub async fn next_frame(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        match self.framing {
            Framing::Lines => loop {
                match self.read_line(self.max).await? {
                    None => return Ok(None),
                    Some(line) if line.iter().all(u8::is_ascii_whitespace) => continue,
                    Some(line) => return Ok(Some(line)),
                }
            },
            Framing::ContentLength => self.read_content_length().await,
        }
    }

    /// One line without its terminator; `None` at end of stream.
    async fn read_line(&mut self, max: usize) -> Result<Option<Vec<u8>>, FrameError> {
        let mut line = Vec::new();
        loop {
            let buf = self.inner.fill_buf().await?;
            if buf.is_empty() {
                // End of stream: a last unterminated line still counts.
                self.skipping = false;
                return Ok(if line.is_empty() { None } else { Some(line) });
            }
            let (chunk, found) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (&buf[..i], Some(i + 1)),
                None => (buf, None),
            };
            let consumed = found.unwrap_or(buf.len());
            if self.skipping {
                self.inner.consume(consumed);
                if found.is_some() {
                    self.skipping = false;
                }
                continue;
            }
            if line.len() + chunk.len() > max {
                self.inner.consume(consumed);
                self.skipping = found.is_none();
                return Err(FrameError::TooLarge { limit: max });
            }
            line.extend_from_slice(chunk);
            self.inner.consume(consumed);
            if found.is_some() {
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Some(line));
            }
        }
    }

    async fn read_content_length(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        let mut length: Option<usize> = None;
        let mut first = true;
        loop {
            let line = match self.read_line(MAX_HEADER_LINE).await {
                Ok(Some(line)) => line,
                Ok(None) if first => return Ok(None),
                Ok(None) => return Err(FrameError::BadHeader("stream ended in headers".into())),
                Err(FrameError::TooLarge { .. }) => {
                    return Err(FrameError::BadHeader(format!(
                        "header line longer than {MAX_HEADER_LINE} bytes"
                    )))
                }
                Err(e) => return Err(e),
            };
            if line.is_empty() {
                if first {
                    continue; // tolerate blank lines between messages
                }
                break;
            }
            first = false;
            let text = String::from_utf8_lossy(&line);
            let Some((name, value)) = text.split_once(':') else {
                return Err(FrameError::BadHeader(format!(
                    "`{text}` is not `Name: value`"
                )));
            };
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = Some(value.trim().parse().map_err(|_| {
                    FrameError::BadHeader(format!(
                        "Content-Length `{}` is not a number",
                        value.trim()
                    ))
                })?);
            }
        }
        let length =
            length.ok_or_else(|| FrameError::BadHeader("no Content-Length header".into()))?;
        if length > self.max {
            return Err(FrameError::TooLarge { limit: self.max });
        }
        let mut body = vec![0; length];
        self.inner.read_exact(&mut body).await?;
        Ok(Some(body))
    }
}

/// Encodes one message (already serialized JSON without newlines) as a frame.
pub fn encode(framing: Framing, json: &[u8]) -> Vec<u8> {
    match framing {
        Framing::Lines => {
            let mut out = Vec::with_capacity(json.len() + 1);
            out.extend_from_slice(json);
            out.push(b'\n');
            out
        }
        Framing::ContentLength => {
            let header = format!("Content-Length: {}\r\n\r\n", json.len());
            let mut out = Vec::with_capacity(header.len() + json.len());
            out.extend_from_slice(header.as_bytes());
            out.extend_from_slice(json);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::BufReader;

    fn frames(framing: Framing, max: usize, input: &[u8]) -> Vec<Result<Vec<u8>, String>> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut r = FrameReader::new(BufReader::with_capacity(4, input), framing, max);
            let mut out = Vec::new();
            loop {
                match r.next_frame().await {
                    Ok(Some(f)) => out.push(Ok(f)),
                    Ok(None) => break,
                    Err(FrameError::Io(_)) => break,
                    Err(e) => out.push(Err(e.to_string())),
                }
                if out.len() > 10 {
                    break;
                }
            }
            out
        })
    }

    #[test]
    fn lines_split_on_newlines_and_skip_blank_lines() {
        let got = frames(Framing::Lines, 100, b"{\"a\":1}\r\n\n  \n[2]\nlast");
        assert_eq!(
            got,
            vec![
                Ok(b"{\"a\":1}".to_vec()),
                Ok(b"[2]".to_vec()),
                Ok(b"last".to_vec())
            ]
        );
    }

    #[test]
    fn an_over_long_line_is_an_error_and_reading_resumes_after_it() {
        let got = frames(Framing::Lines, 8, b"0123456789abcdef\n{}\n");
        assert_eq!(got.len(), 2);
        assert!(got[0].as_ref().unwrap_err().contains("more than 8 bytes"));
        assert_eq!(got[1], Ok(b"{}".to_vec()));
    }

    #[test]
    fn content_length_frames_are_read_exactly() {
        let input =
            b"Content-Length: 7\r\nContent-Type: x\r\n\r\n{\"a\":1}Content-Length: 2\r\n\r\n[]";
        let got = frames(Framing::ContentLength, 100, input);
        assert_eq!(got, vec![Ok(b"{\"a\":1}".to_vec()), Ok(b"[]".to_vec())]);
        let got = frames(
            Framing::ContentLength,
            5,
            b"Content-Length: 7\r\n\r\n{\"a\":1}",
        );
        assert!(got[0].as_ref().unwrap_err().contains("more than 5"));
        let got = frames(Framing::ContentLength, 5, b"Content-Length: x\r\n\r\n{}");
        assert!(got[0].as_ref().unwrap_err().contains("not a number"));
    }

    #[test]
    fn encode_matches_both_framings() {
        assert_eq!(encode(Framing::Lines, b"{}"), b"{}\n");
        assert_eq!(
            encode(Framing::ContentLength, b"{}"),
            b"Content-Length: 2\r\n\r\n{}"
        );
    }

    mod properties {
        //! Arbitrary bytes never panic or hang the readers; valid frames round-trip.
        use super::*;
        use proptest::prelude::*;

        fn framing() -> impl Strategy<Value = Framing> {
            prop_oneof![Just(Framing::Lines), Just(Framing::ContentLength)]
        }

        /// Every frame of `input`, read through a buffer of `capacity` bytes; the reader
        /// must end within one step per input byte (each frame consumes at least one).
        fn read_all(framing: Framing, max: usize, capacity: usize, input: &[u8]) -> Vec<Vec<u8>> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            rt.block_on(async {
                let mut r =
                    FrameReader::new(BufReader::with_capacity(capacity, input), framing, max);
                let mut frames = Vec::new();
                for _ in 0..=input.len() + 1 {
                    match r.next_frame().await {
                        Ok(Some(frame)) => frames.push(frame),
                        Ok(None) | Err(FrameError::Io(_) | FrameError::BadHeader(_)) => {
                            return frames
                        }
                        Err(FrameError::TooLarge { .. }) if framing == Framing::Lines => {}
                        Err(FrameError::TooLarge { .. }) => return frames,
                    }
                }
                panic!("the reader did not end within {} steps", input.len() + 2)
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

            #[test]
            fn arbitrary_bytes_never_panic_or_hang_either_reader(
                framing in framing(),
                max in 1usize..64,
                capacity in 1usize..32,
                input in proptest::collection::vec(any::<u8>(), 0..512),
            ) {
                read_all(framing, max, capacity, &input);
            }

            #[test]
            fn header_like_input_never_panics_the_content_length_reader(
                input in r#"(Content-Length: ?[0-9]{0,25}\r?\n|[a-zA-Z-]{0,8}: ?[ -~]{0,8}\r?\n|\r?\n|[{}\[\]0-9"]{0,8})*"#,
            ) {
                read_all(Framing::ContentLength, 64, 7, input.as_bytes());
            }

            #[test]
            fn valid_frames_round_trip_in_both_framings(
                framing in framing(),
                capacity in 1usize..64,
                texts in proptest::collection::vec(any::<String>(), 0..8),
            ) {
                let messages: Vec<Vec<u8>> =
                    texts.iter().map(|t| serde_json::to_vec(t).unwrap()).collect();
                let stream: Vec<u8> = messages.iter().flat_map(|m| encode(framing, m)).collect();
                prop_assert_eq!(read_all(framing, 1 << 16, capacity, &stream), messages);
            }
        }
    }
}
