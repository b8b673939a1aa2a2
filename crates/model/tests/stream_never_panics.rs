//! Property tests: a model's stream is outside input; the decoder answers events for any bytes
//! cut anywhere, ends at most once, and reads the same however the bytes were cut.

#![allow(clippy::indexing_slicing)]

use kbc_model::{StreamDecoder, StreamEvent};
use proptest::prelude::*;

fn decode(body: &[u8], cuts: &[usize]) -> Vec<StreamEvent> {
    let mut points: Vec<usize> = cuts.iter().map(|cut| cut % (body.len() + 1)).collect();
    points.sort_unstable();
    let mut decoder = StreamDecoder::new();
    let mut events = Vec::new();
    let mut start = 0;
    for point in points {
        events.extend(decoder.push(&body[start..point]));
        start = point;
    }
    events.extend(decoder.push(&body[start..]));
    events.extend(decoder.finish());
    events
}

/// Bytes that look like a stream often enough to reach the JSON and the tool-call assembly.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"data: ".to_vec()),
        Just(b"data:[DONE]".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b": ping".to_vec()),
        Just(br#"{"choices":[{"index":0,"delta":{"content":"h\u00e9"}}]}"#.to_vec()),
        Just(br#"{"choices":[{"delta":{"tool_calls":[{"index":1,"id":"c","#.to_vec()),
        Just(br#""function":{"name":"f","arguments":"{"}}]}}]}"#.to_vec()),
        Just(br#"{"choices":[{"delta":{},"finish_reason":"tool_calls"}],"usage":{"total_tokens":3}}"#.to_vec()),
        Just("é😀".as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..8),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn any_bytes_cut_anywhere_decode_without_panicking(
        body in prop_oneof![prop::collection::vec(any::<u8>(), 0..512), body()],
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let events = decode(&body, &cuts);
        let ends = events.iter().filter(|event| **event == StreamEvent::Done).count();
        prop_assert_eq!(ends, 1);
        prop_assert_eq!(events.last(), Some(&StreamEvent::Done));
    }

    #[test]
    fn where_the_bytes_are_cut_does_not_change_the_events(
        body in body(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        prop_assert_eq!(decode(&body, &cuts), decode(&body, &[]));
    }
}
