//! Property tests: `images::inspect` takes any bytes (noise, noise behind each accepted
//! signature, real images cut, overwritten and spliced, JPEGs with any Exif) and answers an
//! image within the limits or a refusal, never a panic, which would reset a worker's wasm
//! instance.

use kbc_domain::images::{Limits, inspect};
use proptest::prelude::*;
use proptest::sample::{Index, select};

const GPS_JPEG: &[u8] = include_bytes!("fixtures/gps.jpg");

const FIXTURES: [&[u8]; 8] = [
    GPS_JPEG,
    include_bytes!("fixtures/progressive.jpg"),
    include_bytes!("fixtures/restart.jpg"),
    include_bytes!("fixtures/orientation6.jpg"),
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

/// `GPS_JPEG` with an Exif segment holding `tiff` after its SOI and JFIF segment (20 bytes).
fn jpeg_with_exif(tiff: &[u8]) -> Vec<u8> {
    let length = u16::try_from(8 + tiff.len())
        .unwrap_or(u16::MAX)
        .to_be_bytes();
    let (head, rest) = GPS_JPEG.split_at(20);
    [head, &[0xFF, 0xE1], &length, b"Exif\0\0", tiff, rest].concat()
}

/// An IFD0 entry: noise, or an orientation (mostly right, or wrong in type, count or value).
fn entry(big_endian: bool) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 12),
        3 => (
            prop_oneof![3 => Just(3_u16), 1 => 0_u16..5],
            prop_oneof![3 => Just(1_u32), 1 => 0_u32..3],
            0_u16..10
        )
            .prop_map(move |(kind, count, value)| {
                let fields: [&[u8]; 5] = if big_endian {
                    [
                        &[1, 0x12],
                        &kind.to_be_bytes(),
                        &count.to_be_bytes(),
                        &value.to_be_bytes(),
                        &[0, 0],
                    ]
                } else {
                    [
                        &[0x12, 1],
                        &kind.to_le_bytes(),
                        &count.to_le_bytes(),
                        &value.to_le_bytes(),
                        &[0, 0],
                    ]
                };
                fields.concat()
            }),
    ]
}

/// A TIFF structure in either byte order: its header, IFD0 (mostly where the header says)
/// of noise and orientation entries, then noise.
fn tiff() -> impl Strategy<Value = Vec<u8>> {
    any::<bool>().prop_flat_map(|big_endian| {
        (
            prop_oneof![3 => Just(8_u32), 1 => any::<u32>()],
            proptest::collection::vec(entry(big_endian), 0..4),
            proptest::collection::vec(any::<u8>(), 0..8),
        )
            .prop_map(move |(ifd, entries, tail)| {
                let count = u16::try_from(entries.len()).unwrap_or(u16::MAX);
                let (order, ifd, count): (&[u8], _, _) = if big_endian {
                    (b"MM\0*", ifd.to_be_bytes(), count.to_be_bytes())
                } else {
                    (b"II*\0", ifd.to_le_bytes(), count.to_le_bytes())
                };
                [order, &ifd, &count, &entries.concat(), &tail].concat()
            })
    })
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
        prop_assert!((1..=8).contains(&image.orientation));
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
    fn jpeg_images_with_any_exif_are_an_image_or_a_refusal(
        tiff in tiff(),
        edits in proptest::collection::vec(edit(), 0..2),
    ) {
        let mut tiff = tiff;
        for edit in &edits {
            apply(&mut tiff, edit);
        }
        answers(&jpeg_with_exif(&tiff))?;
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
