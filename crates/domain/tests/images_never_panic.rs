//! Property tests: `images::inspect` takes any bytes (noise, noise behind each accepted
//! signature, real images cut, overwritten and spliced) and answers an image within the
//! limits or a refusal, never a panic, which would reset a worker's wasm instance.

use kbc_domain::images::{Limits, inspect};
use proptest::prelude::*;
use proptest::sample::{Index, select};

const FIXTURES: [&[u8]; 7] = [
    include_bytes!("fixtures/gps.jpg"),
    include_bytes!("fixtures/progressive.jpg"),
    include_bytes!("fixtures/restart.jpg"),
    include_bytes!("fixtures/meta.png"),
    include_bytes!("fixtures/meta.webp"),
    include_bytes!("fixtures/lossy.webp"),
    include_bytes!("fixtures/lossless.webp"),
];

/// The accepted signatures, and the first structure each walk reads after them.
const PREFIXES: [&[u8]; 7] = [
    b"\xff\xd8\xff",
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    b"\xff\xd8\xff\xc0\x00\x11\x08",
    b"\x89PNG\r\n\x1a\n",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR",
    b"RIFF",
    b"RIFF\x00\x00\x00\x00WEBPVP8",
];

/// The chunks a WebP walk treats apart from others.
const FOURCCS: [&[u8]; 5] = [b"VP8X", b"VP8 ", b"VP8L", b"EXIF", b"ANMF"];

/// A WebP file around `body`, with a RIFF size that matches, so the walk reaches the chunks.
fn webp(fourcc: &[u8], body: &[u8]) -> Vec<u8> {
    let size = u32::try_from(4 + fourcc.len() + body.len()).unwrap_or(u32::MAX);
    [b"RIFF", &size.to_le_bytes()[..], b"WEBP", fourcc, body].concat()
}

#[derive(Debug, Clone)]
enum Edit {
    Overwrite(Index, u8),
    Cut(Index),
    Insert(Index, Vec<u8>),
    Remove(Index, Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Edit::Overwrite(at, byte)),
        any::<Index>().prop_map(Edit::Cut),
        (
            any::<Index>(),
            proptest::collection::vec(any::<u8>(), 1..16)
        )
            .prop_map(|(at, bytes)| Edit::Insert(at, bytes)),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::Remove(a, b)),
    ]
}

fn apply(bytes: &mut Vec<u8>, edit: &Edit) {
    if bytes.is_empty() {
        return;
    }
    let len = bytes.len();
    match edit {
        Edit::Overwrite(at, byte) => {
            if let Some(b) = bytes.get_mut(at.index(len)) {
                *b = *byte;
            }
        }
        Edit::Cut(at) => bytes.truncate(at.index(len)),
        Edit::Insert(at, inserted) => {
            let at = at.index(len);
            bytes.splice(at..at, inserted.iter().copied());
        }
        Edit::Remove(a, b) => {
            let (a, b) = (a.index(len), b.index(len));
            bytes.drain(a.min(b)..a.max(b));
        }
    }
}

/// An accepted image is within the limits, no bigger than the upload, and cleaning it again
/// changes nothing.
fn answers(bytes: &[u8]) -> Result<(), TestCaseError> {
    let limits = Limits::UPLOAD;
    if let Ok(image) = inspect(bytes, &limits) {
        prop_assert!((1..=limits.max_side).contains(&image.width));
        prop_assert!((1..=limits.max_side).contains(&image.height));
        prop_assert!(u64::from(image.width) * u64::from(image.height) <= limits.max_pixels);
        prop_assert!(image.bytes.len() <= bytes.len());
        prop_assert_eq!(inspect(&image.bytes, &limits), Ok(image.clone()));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_bytes_are_an_image_or_a_refusal(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        answers(&bytes)?;
    }

    #[test]
    fn any_bytes_after_an_accepted_signature_are_an_image_or_a_refusal(
        prefix in select(&PREFIXES[..]),
        tail in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        answers(&[prefix, &tail[..]].concat())?;
    }

    #[test]
    fn any_webp_chunks_are_an_image_or_a_refusal(
        fourcc in select(&FOURCCS[..]),
        body in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        answers(&webp(fourcc, &body))?;
    }

    #[test]
    fn damaged_real_images_are_an_image_or_a_refusal(
        original in select(&FIXTURES[..]),
        edits in proptest::collection::vec(edit(), 1..6),
    ) {
        let mut bytes = original.to_vec();
        for edit in &edits {
            apply(&mut bytes, edit);
        }
        answers(&bytes)?;
    }
}
