//! The client's SSE parser against hostile input: split anywhere, every line ending, giant
//! events, missing final newline, byte order marks, bad UTF-8, random bytes. It must give the
//! same events however the bytes are chunked, stay within its memory bound, and never panic.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use spate::transport::http::client::sse::{SseEvent, SseItem, SseParser};

fn parse_chunks(max: usize, chunks: &[&[u8]]) -> Vec<SseItem> {
    let mut parser = SseParser::new(max);
    let mut out = Vec::new();
    for chunk in chunks {
        parser.feed(chunk, &mut out);
        assert!(
            parser.buffered() <= max + 1,
            "buffered {}",
            parser.buffered()
        );
    }
    out
}

fn parse(input: &[u8]) -> Vec<SseItem> {
    parse_chunks(1 << 20, &[input])
}

fn event(id: Option<&str>, event: &str, data: &str, retry: Option<u64>) -> SseItem {
    SseItem::Event(SseEvent {
        id: id.map(str::to_owned),
        event: event.to_owned(),
        data: data.to_owned(),
        retry: retry.map(Duration::from_millis),
    })
}

fn data(text: &str) -> SseItem {
    event(None, "message", text, None)
}

const SAMPLE: &[u8] = b"\xEF\xBB\xBF: keep-alive\r\nid: 1\r\nretry: 500\r\ndata:\r\n\r\n\
id: 2\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\ndata:  \"method\":\"x\"}\n\n\
:comment\rdata:no space\r\revent: endpoint\rdata: /message?s=1\r\r\
data: caf\xC3\xA9\r\n\r\ndata: last\n\n";

fn sample_expected() -> Vec<SseItem> {
    vec![
        event(Some("1"), "message", "", Some(500)),
        event(
            Some("2"),
            "message",
            "{\"jsonrpc\":\"2.0\",\n \"method\":\"x\"}",
            None,
        ),
        data("no space"),
        event(None, "endpoint", "/message?s=1", None),
        data("café"),
        data("last"),
    ]
}

#[test]
fn parses_fields_comments_and_every_line_ending() {
    assert_eq!(parse(SAMPLE), sample_expected());
}

#[test]
fn gives_the_same_events_however_the_bytes_are_split() {
    let expected = sample_expected();
    for i in 0..=SAMPLE.len() {
        assert_eq!(
            parse_chunks(1 << 20, &[&SAMPLE[..i], &SAMPLE[i..]]),
            expected,
            "split at {i}"
        );
        for j in i..=SAMPLE.len() {
            let parts: [&[u8]; 3] = [&SAMPLE[..i], &SAMPLE[i..j], &SAMPLE[j..]];
            assert_eq!(parse_chunks(1 << 20, &parts), expected, "split {i}/{j}");
        }
    }
    let bytes: Vec<&[u8]> = SAMPLE.chunks(1).collect();
    assert_eq!(parse_chunks(1 << 20, &bytes), expected);
}

#[test]
fn a_crlf_split_between_chunks_ends_one_line_and_cr_cr_is_a_blank_line() {
    assert_eq!(
        parse_chunks(1024, &[b"data: a\r", b"\n\r", b"\n"]),
        vec![data("a")]
    );
    assert_eq!(parse_chunks(1024, &[b"data: a\r", b"\r"]), vec![data("a")]);
    assert_eq!(
        parse(b"data: a\n\r\ndata: b\r\r"),
        vec![data("a"), data("b")]
    );
}

#[test]
fn an_unfinished_event_at_the_end_is_not_dispatched() {
    assert_eq!(parse(b"data: x"), vec![]);
    assert_eq!(parse(b"data: x\n"), vec![]);
    assert_eq!(parse(b"data: x\r\n"), vec![]);
    assert_eq!(parse(b"data: x\n\ndata: y\n"), vec![data("x")]);
    assert_eq!(parse(b""), vec![]);
    assert_eq!(parse(b"\n\n\r\n\r\r"), vec![]);
}

#[test]
fn giant_events_are_refused_once_and_the_stream_goes_on() {
    let max = 64;
    let big = format!("data: {}\n\n", "x".repeat(1000));
    let input = format!("data: small\n\n{big}id: 9\ndata: after\n\n");
    assert_eq!(
        parse_chunks(max, &[input.as_bytes()]),
        vec![
            data("small"),
            SseItem::TooLarge { limit: max },
            event(Some("9"), "message", "after", None)
        ]
    );
    // Many short data lines add up to a giant event too.
    let many = "data: 0123456789\n".repeat(100) + "\ndata: ok\n\n";
    assert_eq!(
        parse_chunks(max, &[many.as_bytes()]),
        vec![SseItem::TooLarge { limit: max }, data("ok")]
    );
    // A comment line that never ends is bounded as well.
    let mut parser = SseParser::new(max);
    let mut out = Vec::new();
    parser.feed(b":", &mut out);
    for _ in 0..1000 {
        parser.feed(&[b'z'; 4096], &mut out);
        assert!(parser.buffered() <= max);
    }
    parser.feed(b"\n\ndata: fine\n\n", &mut out);
    assert_eq!(out, vec![SseItem::TooLarge { limit: max }, data("fine")]);
}

#[test]
fn a_byte_order_mark_is_skipped_only_at_the_start() {
    assert_eq!(parse(b"\xEF\xBB\xBFdata: a\n\n"), vec![data("a")]);
    assert_eq!(
        parse_chunks(1024, &[b"\xEF", b"\xBB", b"\xBFdata: a\n\n"]),
        vec![data("a")]
    );
    // Elsewhere it is part of the field name, so the line is an unknown field.
    assert_eq!(
        parse(b"data: a\n\n\xEF\xBB\xBFdata: b\n\n"),
        vec![data("a")]
    );
    // A lone BOM line is a blank line.
    assert_eq!(parse(b"\xEF\xBB\xBF\ndata: c\n\n"), vec![data("c")]);
}

#[test]
fn bad_utf8_becomes_replacement_characters() {
    let items = parse(b"id: \xFF1\nevent: \xC3\ndata: {\"a\":\"\xFE\"}\n\n");
    assert_eq!(
        items,
        vec![event(
            Some("\u{FFFD}1"),
            "\u{FFFD}",
            "{\"a\":\"\u{FFFD}\"}",
            None
        )]
    );
}

#[test]
fn odd_fields_follow_the_standard() {
    // id with NUL is ignored; retry must be digits; a colon-less line is a field with no value.
    assert_eq!(
        parse(b"id: a\0b\nretry: 12x\nretry:\ndata\n\n"),
        vec![data("")]
    );
    assert_eq!(
        parse(b"retry: 99999999999999999999999\ndata: r\n\n"),
        vec![event(None, "message", "r", Some(u64::MAX))]
    );
    // Only one space after the colon is dropped; unknown fields are ignored.
    assert_eq!(parse(b"data:  two\nfoo: bar\n\n"), vec![data(" two")]);
    // id: with an empty value is reported (it resets the resumption cursor).
    assert_eq!(
        parse(b"id:\ndata: x\n\n"),
        vec![event(Some(""), "message", "x", None)]
    );
    // Blank lines with nothing before them dispatch nothing.
    assert_eq!(parse(b"\n\n:only a comment\n\n"), vec![]);
}

#[test]
fn random_bytes_never_panic_and_chunking_never_changes_the_result() {
    let mut rng = StdRng::seed_from_u64(0x5EED);
    let alphabet: &[u8] = b"data:id event retry\r\n\n\n:: 0123456789\xEF\xBB\xBF\xFF\x00{}\"";
    for round in 0..3000 {
        let len = rng.random_range(0..200);
        let input: Vec<u8> = (0..len)
            .map(|_| {
                if rng.random_range(0..10) == 0 {
                    rng.random::<u8>()
                } else {
                    alphabet[rng.random_range(0..alphabet.len())]
                }
            })
            .collect();
        let max = rng.random_range(1..64);
        let whole = parse_chunks(max, &[&input]);
        let mut chunks = Vec::new();
        let mut rest = input.as_slice();
        while !rest.is_empty() {
            let n = rng.random_range(1..=rest.len());
            chunks.push(&rest[..n]);
            rest = &rest[n..];
        }
        assert_eq!(
            parse_chunks(max, &chunks),
            whole,
            "round {round}: {input:?}"
        );
    }
}
