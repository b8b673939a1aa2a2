//! Uploaded images, checked and cleaned before they are stored. The type is read from the
//! bytes alone (JPEG, PNG or WebP; never a file name or a declared type), the pixel size
//! from the image's own header, and the metadata cameras and phones write (GPS position,
//! camera and owner names, dates, comments, thumbnails) is dropped while the encoded image
//! data is copied byte for byte. A JPEG's Exif orientation alone survives, rewritten as an
//! Exif segment of that one tag, since browsers turn a JPEG upright by it and a phone held
//! upright stores its photo sideways. Nothing is decoded and nothing is read or written
//! elsewhere: the three containers are walked by hand, which costs a worker's bundle this
//! file and no image library.

use crate::FieldError;
use crate::fingerprint::sha256_hex;

/// The image types an upload may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Jpeg,
    Png,
    Webp,
}

impl ImageKind {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
        }
    }

    /// The type the bytes' own signature announces.
    fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(png::SIGNATURE) {
            Some(Self::Png)
        } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP".as_slice()) {
            Some(Self::Webp)
        } else {
            None
        }
    }
}

/// How big an accepted image may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: usize,
    /// The most pixels either side may have.
    pub max_side: u32,
    /// The most pixels in all (width × height).
    pub max_pixels: u64,
}

impl Limits {
    /// An owner's photo upload: what a phone takes, and no more than a browser shows well.
    pub const UPLOAD: Limits = Limits {
        max_bytes: 10 * MIB,
        max_side: 8000,
        max_pixels: 40_000_000,
    };
}

const MIB: usize = 1024 * 1024;

/// An accepted image: its type and size, and its bytes without metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    pub kind: ImageKind,
    /// The size as displayed, with the orientation applied: a sideways stored photo's
    /// width is its header's height.
    pub width: u32,
    pub height: u32,
    /// The Exif orientation (1–8) the stored bytes keep: how a browser turns or mirrors the
    /// stored pixels to display them. 1, upright as stored, for PNG and WebP and for a JPEG
    /// without a readable one.
    pub orientation: u8,
    /// The image as stored and served: the upload less its metadata (bar the orientation).
    pub bytes: Vec<u8>,
}

/// Why an upload was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageError {
    /// Not a JPEG, PNG or WebP, whatever its name or declared type said.
    Unsupported,
    TooManyBytes {
        max_bytes: usize,
    },
    TooWideOrHigh {
        max_side: u32,
    },
    TooManyPixels {
        max_pixels: u64,
    },
    /// Truncated or malformed, or it claims no pixels at all.
    Unreadable,
}

impl ImageError {
    /// What the person uploading can do about it, worded to follow the field's name.
    pub fn message(&self) -> String {
        match *self {
            Self::Unsupported => "must be a JPEG, PNG or WebP image".into(),
            Self::TooManyBytes { max_bytes } if max_bytes >= MIB => {
                format!("must be at most {} MB", max_bytes / MIB)
            }
            Self::TooManyBytes { max_bytes } => {
                format!("must be at most {} KB", max_bytes / 1024)
            }
            Self::TooWideOrHigh { max_side } => {
                format!("must be at most {max_side} pixels wide and high")
            }
            Self::TooManyPixels { max_pixels } => {
                format!("must be at most {} megapixels", max_pixels / 1_000_000)
            }
            Self::Unreadable => "could not be read as an image".into(),
        }
    }
}

impl From<ImageError> for FieldError {
    fn from(err: ImageError) -> Self {
        FieldError::new("photo", err.message())
    }
}

/// Accepts `bytes` as a JPEG, PNG or WebP image within `limits` and returns it without its
/// metadata, or says why not. Any input gives an answer; none panics.
pub fn inspect(bytes: &[u8], limits: &Limits) -> Result<Inspected, ImageError> {
    let kind = ImageKind::sniff(bytes).ok_or(ImageError::Unsupported)?;
    if bytes.len() > limits.max_bytes {
        return Err(ImageError::TooManyBytes {
            max_bytes: limits.max_bytes,
        });
    }
    let cleaned = match kind {
        ImageKind::Jpeg => jpeg::clean(bytes),
        ImageKind::Png => png::clean(bytes),
        ImageKind::Webp => webp::clean(bytes),
    }
    .ok_or(ImageError::Unreadable)?;
    let Cleaned {
        width,
        height,
        orientation,
        bytes,
    } = cleaned;
    // Orientations 5–8 turn the image a quarter, possibly mirrored.
    let (width, height) = if orientation >= 5 {
        (height, width)
    } else {
        (width, height)
    };
    if width == 0 || height == 0 {
        return Err(ImageError::Unreadable);
    }
    if width > limits.max_side || height > limits.max_side {
        return Err(ImageError::TooWideOrHigh {
            max_side: limits.max_side,
        });
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(ImageError::TooManyPixels {
            max_pixels: limits.max_pixels,
        });
    }
    Ok(Inspected {
        kind,
        width,
        height,
        orientation,
        bytes,
    })
}

/// The R2 key an accepted image is stored under: named by the SHA-256 of the stored bytes,
/// so a changed photo always gets a new key ([`crate::photos::is_content_addressed`]).
pub fn content_key(business_id: i64, inspected: &Inspected) -> String {
    format!(
        "photos/{business_id}/{}.{}",
        sha256_hex(&inspected.bytes, 32),
        inspected.kind.extension()
    )
}

/// What a container walk finds: the pixel size its header states, the orientation kept and
/// the bytes to keep.
struct Cleaned {
    width: u32,
    height: u32,
    orientation: u8,
    bytes: Vec<u8>,
}

/// `len` bytes from `at`, if the input holds them all.
fn take(bytes: &[u8], at: usize, len: usize) -> Option<&[u8]> {
    bytes.get(at..at.checked_add(len)?)
}

fn array<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    take(bytes, at, N)?.try_into().ok()
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    array(bytes, at).map(u16::from_be_bytes)
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    array(bytes, at).map(u32::from_be_bytes)
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    array(bytes, at).map(u32::from_le_bytes)
}

/// JPEG: a sequence of marker segments, the entropy-coded data after each start of scan,
/// and an end-of-image marker (ITU T.81, annex B).
mod jpeg {
    use super::{Cleaned, be16, exif, take};

    const SOI: u8 = 0xD8;
    const EOI: u8 = 0xD9;
    const SOS: u8 = 0xDA;
    const APP0: u8 = 0xE0;
    const APP1: u8 = 0xE1;

    pub(super) fn clean(bytes: &[u8]) -> Option<Cleaned> {
        let mut out = Vec::with_capacity(bytes.len());
        out.extend_from_slice(&[0xFF, SOI]);
        let mut at = 2;
        let mut size = None;
        let mut scanned = false;
        // The first Exif segment is the one that counts, and only before the first scan:
        // a browser's decoder reads no further before it draws.
        let mut orientation = None;
        // The orientation's segment goes after SOI, or after JFIF when JFIF comes first,
        // since JFIF must follow SOI directly.
        let mut exif_at = 2;
        loop {
            // A marker is 0xFF, optionally more 0xFF fill bytes, then its code.
            if bytes.get(at) != Some(&0xFF) {
                return None;
            }
            while bytes.get(at) == Some(&0xFF) {
                at += 1;
            }
            let marker = *bytes.get(at)?;
            at += 1;
            match marker {
                // Whatever follows the end of the image (a phone's second picture, a motion
                // photo's video, each with its own metadata) is not kept.
                EOI if scanned => {
                    out.extend_from_slice(&[0xFF, EOI]);
                    let (width, height) = size?;
                    return Some(Cleaned {
                        width,
                        height,
                        orientation: orientation.unwrap_or(1),
                        bytes: out,
                    });
                }
                // Markers without a length have no place outside entropy-coded data.
                EOI | SOI | 0x00 | 0x01 | 0xD0..=0xD7 => return None,
                _ => {}
            }
            let length = usize::from(be16(bytes, at)?);
            let segment = take(bytes, at, length)?;
            let payload = segment.get(2..)?;
            at += length;
            if is_frame_header(marker) {
                if size.is_some() {
                    return None;
                }
                size = Some(frame_size(payload)?);
            }
            if marker == APP1 && !scanned && orientation.is_none() {
                orientation = payload.strip_prefix(exif::HEADER).map(exif::orientation);
            }
            if marker == SOS
                && !scanned
                && let Some(exif) = orientation.and_then(exif::segment)
            {
                // Only the segments before the first scan lie ahead of the insertion point.
                let exif_at = exif_at.min(out.len());
                out.splice(exif_at..exif_at, exif);
            }
            if keeps(marker, payload) {
                let first = out.len() == 2;
                out.extend_from_slice(&[0xFF, marker]);
                out.extend_from_slice(segment);
                if first && marker == APP0 {
                    exif_at = out.len();
                }
            }
            if marker == SOS {
                // A scan needs a frame header before it to say what it encodes.
                size?;
                scanned = true;
                let data = take(bytes, at, entropy_coded_length(bytes.get(at..)?)?)?;
                out.extend_from_slice(data);
                at += data.len();
            }
        }
    }

    /// SOF0–SOF15 start a frame and state its size; C4 (DHT), C8 (reserved) and CC (DAC)
    /// share the range but are tables.
    fn is_frame_header(marker: u8) -> bool {
        (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
    }

    /// (width, height) from a frame header: precision, lines, samples per line, then three
    /// bytes per component.
    fn frame_size(payload: &[u8]) -> Option<(u32, u32)> {
        let height = be16(payload, 1)?;
        let width = be16(payload, 3)?;
        let components = usize::from(*payload.get(5)?);
        (components > 0 && payload.len() == 6 + 3 * components)
            .then_some((u32::from(width), u32::from(height)))
    }

    /// Whether a segment is part of the image. The application segments kept are the ones a
    /// decoder reads: JFIF (APP0), the ICC colour profile (APP2) and Adobe's colour transform
    /// (APP14). Exif (APP1, replaced by one of the orientation alone) and XMP (APP1), IPTC
    /// (APP13), every other APPn, comments and the reserved JPGn extensions are dropped.
    fn keeps(marker: u8, payload: &[u8]) -> bool {
        match marker {
            APP0 => payload.starts_with(b"JFIF\0"),
            0xE2 => payload.starts_with(b"ICC_PROFILE\0"),
            0xEE => payload.starts_with(b"Adobe"),
            0xE1..=0xFE => false,
            _ => true,
        }
    }

    /// How many bytes of entropy-coded data start `data`: up to the marker that ends it.
    /// 0xFF 0x00 is an escaped 0xFF and restart markers (RST0–RST7) belong to the data.
    fn entropy_coded_length(data: &[u8]) -> Option<usize> {
        let mut at = 0;
        loop {
            let start = at + data.get(at..)?.iter().position(|&b| b == 0xFF)?;
            let fill = data
                .get(start..)?
                .iter()
                .take_while(|&&b| b == 0xFF)
                .count();
            let after = start + fill;
            match data.get(after)? {
                0x00 | 0xD0..=0xD7 => at = after + 1,
                _ => return Some(start),
            }
        }
    }
}

/// Exif: a TIFF structure, its byte order stated first, whose first directory (IFD0) lists
/// the main image's tags (CIPA DC-008, TIFF 6.0). Only the orientation is read or written.
mod exif {
    use super::{array, take};

    /// What starts a JPEG APP1 segment's payload when the TIFF structure follows.
    pub(super) const HEADER: &[u8] = b"Exif\0\0";

    const ORIENTATION: u16 = 0x0112;
    /// The TIFF field type of a 16-bit unsigned integer.
    const SHORT: u16 = 3;
    /// A directory entry's size: tag, type, count, then the value or its offset.
    const ENTRY: usize = 12;

    /// The orientation `tiff` states in IFD0, or 1, upright as stored, if it states none or
    /// cannot be read.
    pub(super) fn orientation(tiff: &[u8]) -> u8 {
        read(tiff).unwrap_or(1)
    }

    fn read(tiff: &[u8]) -> Option<u8> {
        let order = match tiff.get(..4)? {
            b"II*\0" => Order::Little,
            b"MM\0*" => Order::Big,
            _ => return None,
        };
        let ifd = usize::try_from(order.u32(tiff, 4)?).ok()?;
        // IFD0 follows the 8-byte header; an offset into the header is a damaged file.
        if ifd < 8 {
            return None;
        }
        let count = usize::from(order.u16(tiff, ifd)?);
        // The whole directory must be there: its entries, then the next directory's offset.
        let entries = take(tiff, ifd.checked_add(2)?, count * ENTRY + 4)?;
        let entry = entries
            .chunks_exact(ENTRY)
            .find(|entry| order.u16(entry, 0) == Some(ORIENTATION))?;
        if order.u16(entry, 2)? != SHORT || order.u32(entry, 4)? != 1 {
            return None;
        }
        // A single SHORT sits in the first two bytes of the value field.
        let value = u8::try_from(order.u16(entry, 8)?).ok()?;
        (1..=8).contains(&value).then_some(value)
    }

    /// The APP1 segment stating `orientation` and nothing else (big-endian TIFF, IFD0 of one
    /// entry, no next directory), or none for 1, which needs no segment.
    pub(super) fn segment(orientation: u8) -> Option<Vec<u8>> {
        if !(2..=8).contains(&orientation) {
            return None;
        }
        let ifd: &[&[u8]] = &[
            &1_u16.to_be_bytes(),
            &ORIENTATION.to_be_bytes(),
            &SHORT.to_be_bytes(),
            &1_u32.to_be_bytes(),
            &[0, orientation, 0, 0],
            &0_u32.to_be_bytes(),
        ];
        let payload = [HEADER, b"MM\0*", &8_u32.to_be_bytes(), &ifd.concat()].concat();
        let length = u16::try_from(payload.len() + 2).ok()?;
        Some([&[0xFF, 0xE1], &length.to_be_bytes()[..], &payload].concat())
    }

    #[derive(Clone, Copy)]
    enum Order {
        Little,
        Big,
    }

    impl Order {
        fn u16(self, bytes: &[u8], at: usize) -> Option<u16> {
            let raw = array(bytes, at)?;
            Some(match self {
                Self::Little => u16::from_le_bytes(raw),
                Self::Big => u16::from_be_bytes(raw),
            })
        }

        fn u32(self, bytes: &[u8], at: usize) -> Option<u32> {
            let raw = array(bytes, at)?;
            Some(match self {
                Self::Little => u32::from_le_bytes(raw),
                Self::Big => u32::from_be_bytes(raw),
            })
        }
    }
}

/// PNG: the signature, then length-prefixed chunks from IHDR to IEND (ISO/IEC 15948).
mod png {
    use super::{Cleaned, be32, take};

    pub(super) const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

    /// Ancillary chunks that carry metadata: Exif, text (also XMP, in iTXt) and the
    /// modification time.
    const DROPPED: [&[u8; 4]; 5] = [b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"];

    /// The largest length a chunk or a side may state.
    const MAX: u32 = 0x7FFF_FFFF;

    pub(super) fn clean(bytes: &[u8]) -> Option<Cleaned> {
        let mut out = Vec::with_capacity(bytes.len());
        out.extend_from_slice(SIGNATURE);
        let mut at = SIGNATURE.len();
        let mut size = None;
        let mut has_data = false;
        loop {
            let length = be32(bytes, at)?;
            if length > MAX {
                return None;
            }
            // Length, type, data, CRC.
            let chunk = take(bytes, at, usize::try_from(length).ok()?.checked_add(12)?)?;
            let kind: &[u8; 4] = chunk.get(4..8)?.try_into().ok()?;
            let data = chunk.get(8..chunk.len() - 4)?;
            at += chunk.len();
            if !kind.iter().all(u8::is_ascii_alphabetic) || size.is_none() != (kind == b"IHDR") {
                return None;
            }
            match kind {
                b"IHDR" => size = Some(header_size(data)?),
                b"IDAT" => has_data = true,
                // Whatever follows the end of the image is not kept.
                b"IEND" => {
                    if !has_data || !data.is_empty() {
                        return None;
                    }
                    out.extend_from_slice(chunk);
                    let (width, height) = size?;
                    return Some(Cleaned {
                        width,
                        height,
                        orientation: 1,
                        bytes: out,
                    });
                }
                _ => {}
            }
            if !DROPPED.contains(&kind) {
                out.extend_from_slice(chunk);
            }
        }
    }

    fn header_size(data: &[u8]) -> Option<(u32, u32)> {
        let width = be32(data, 0)?;
        let height = be32(data, 4)?;
        (data.len() == 13 && width <= MAX && height <= MAX).then_some((width, height))
    }
}

/// WebP: a RIFF container of chunks, each padded to an even length, whose first chunk is
/// the image (VP8 lossy, VP8L lossless) or the extended header VP8X (Google's container
/// specification).
mod webp {
    use super::{Cleaned, array, le32, take};

    /// The VP8X flags announcing the chunks dropped here.
    const EXIF_FLAG: u8 = 0x08;
    const XMP_FLAG: u8 = 0x04;

    pub(super) fn clean(bytes: &[u8]) -> Option<Cleaned> {
        // The RIFF size counts what follows it, from "WEBP" on; bytes past it are not kept.
        let riff_size = usize::try_from(le32(bytes, 4)?).ok()?;
        let mut rest = take(bytes, 12, riff_size.checked_sub(4)?)?;
        let mut out = Vec::with_capacity(bytes.len());
        out.extend_from_slice(b"RIFF\0\0\0\0WEBP");
        let mut size = None;
        let mut has_image = false;
        while !rest.is_empty() {
            let fourcc: [u8; 4] = array(rest, 0)?;
            let length = usize::try_from(le32(rest, 4)?).ok()?;
            let payload = take(rest, 8, length)?;
            let padded = 8 + length + length % 2;
            rest = rest.get(padded..)?;
            let first = size.is_none();
            match &fourcc {
                b"VP8X" if first => size = Some(canvas_size(payload)?),
                b"VP8 " | b"VP8L" if first => {
                    size = Some(frame_size(&fourcc, payload)?);
                    has_image = true;
                }
                _ if first => return None,
                b"VP8X" => return None,
                b"VP8 " | b"VP8L" | b"ANMF" => has_image = true,
                _ => {}
            }
            if matches!(&fourcc, b"EXIF" | b"XMP ") {
                continue;
            }
            out.extend_from_slice(&fourcc);
            out.extend_from_slice(&le32_bytes(length)?);
            let at = out.len();
            out.extend_from_slice(payload);
            if &fourcc == b"VP8X"
                && let Some(flags) = out.get_mut(at)
            {
                *flags &= !(EXIF_FLAG | XMP_FLAG);
            }
            if length % 2 == 1 {
                out.push(0);
            }
        }
        let riff_size = le32_bytes(out.len() - 8)?;
        if let Some(field) = out.get_mut(4..8) {
            field.copy_from_slice(&riff_size);
        }
        let (width, height) = size?;
        has_image.then_some(Cleaned {
            width,
            height,
            orientation: 1,
            bytes: out,
        })
    }

    fn le32_bytes(n: usize) -> Option<[u8; 4]> {
        u32::try_from(n).ok().map(u32::to_le_bytes)
    }

    /// The canvas of an extended file: flags, three reserved bytes, then width − 1 and
    /// height − 1 in 24 bits each.
    fn canvas_size(payload: &[u8]) -> Option<(u32, u32)> {
        let [w0, w1, w2, h0, h1, h2] = array(payload, 4)?;
        let width = u32::from_le_bytes([w0, w1, w2, 0]) + 1;
        let height = u32::from_le_bytes([h0, h1, h2, 0]) + 1;
        Some((width, height))
    }

    fn frame_size(fourcc: &[u8; 4], payload: &[u8]) -> Option<(u32, u32)> {
        if fourcc == b"VP8L" {
            // Signature 0x2F, then width − 1 and height − 1 in 14 bits each, an alpha bit
            // and a three-bit version that must be 0.
            let bits = le32(payload, 1)?;
            (payload.first() == Some(&0x2F) && bits >> 29 == 0)
                .then_some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        } else {
            // A key frame's tag (bit 0 clear), its start code, then width and height in the
            // low 14 bits of two little-endian words (the top two bits are scaling).
            let [tag, _, _, s0, s1, s2, w0, w1, h0, h1] = array(payload, 0)?;
            (tag & 1 == 0 && [s0, s1, s2] == [0x9D, 0x01, 0x2A]).then_some((
                u32::from(u16::from_le_bytes([w0, w1]) & 0x3FFF),
                u32::from(u16::from_le_bytes([h0, h1]) & 0x3FFF),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GPS_JPEG: &[u8] = include_bytes!("../tests/fixtures/gps.jpg");
    const PROGRESSIVE_JPEG: &[u8] = include_bytes!("../tests/fixtures/progressive.jpg");
    const RESTART_JPEG: &[u8] = include_bytes!("../tests/fixtures/restart.jpg");
    const ORIENTED_JPEG: &[u8] = include_bytes!("../tests/fixtures/orientation6.jpg");
    const META_PNG: &[u8] = include_bytes!("../tests/fixtures/meta.png");
    const META_WEBP: &[u8] = include_bytes!("../tests/fixtures/meta.webp");
    const LOSSY_WEBP: &[u8] = include_bytes!("../tests/fixtures/lossy.webp");
    const LOSSLESS_WEBP: &[u8] = include_bytes!("../tests/fixtures/lossless.webp");

    fn inspected(bytes: &[u8]) -> Inspected {
        inspect(bytes, &Limits::UPLOAD).unwrap()
    }

    fn refusal(bytes: &[u8]) -> ImageError {
        inspect(bytes, &Limits::UPLOAD).unwrap_err()
    }

    fn find(haystack: &[u8], needle: &[u8]) -> usize {
        haystack
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap()
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// A JPEG's segments up to its first scan: (offset, marker code, payload).
    fn jpeg_segments(bytes: &[u8]) -> Vec<(usize, u8, &[u8])> {
        let mut segments = Vec::new();
        let mut at = 2;
        loop {
            let marker = bytes[at + 1];
            let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
            segments.push((at, marker, &bytes[at + 4..at + 2 + length]));
            if marker == 0xDA {
                return segments;
            }
            at += 2 + length;
        }
    }

    /// The marker codes of a JPEG's segments up to its first scan.
    fn jpeg_markers(bytes: &[u8]) -> Vec<u8> {
        jpeg_segments(bytes)
            .into_iter()
            .map(|(_, marker, _)| marker)
            .collect()
    }

    /// The payloads of a JPEG's Exif segments before its first scan.
    fn exif_payloads(bytes: &[u8]) -> Vec<&[u8]> {
        jpeg_segments(bytes)
            .into_iter()
            .filter(|(_, marker, payload)| *marker == 0xE1 && payload.starts_with(b"Exif\0\0"))
            .map(|(_, _, payload)| payload)
            .collect()
    }

    /// A JPEG from its first scan on: the scan header, the image data and the end.
    fn from_first_scan(bytes: &[u8]) -> &[u8] {
        &bytes[jpeg_segments(bytes).last().unwrap().0..]
    }

    /// `jpeg` with an Exif segment holding `tiff` right after its SOI and JFIF segment.
    fn with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
        assert_eq!(&jpeg[6..11], b"JFIF\0");
        let length = u16::try_from(2 + 6 + tiff.len()).unwrap().to_be_bytes();
        [
            &jpeg[..20],
            &[0xFF, 0xE1],
            &length,
            b"Exif\0\0",
            tiff,
            &jpeg[20..],
        ]
        .concat()
    }

    /// A little-endian TIFF structure whose IFD0 holds these entries: (tag, type, count,
    /// value).
    fn tiff(entries: &[(u16, u16, u32, [u8; 4])]) -> Vec<u8> {
        let mut tiff = b"II*\0\x08\0\0\0".to_vec();
        tiff.extend_from_slice(&u16::try_from(entries.len()).unwrap().to_le_bytes());
        for (tag, kind, count, value) in entries {
            tiff.extend_from_slice(&tag.to_le_bytes());
            tiff.extend_from_slice(&kind.to_le_bytes());
            tiff.extend_from_slice(&count.to_le_bytes());
            tiff.extend_from_slice(value);
        }
        tiff.extend_from_slice(&[0; 4]);
        tiff
    }

    /// A little-endian TIFF structure whose IFD0 states this orientation after a make.
    fn oriented(orientation: u16) -> Vec<u8> {
        let [low, high] = orientation.to_le_bytes();
        tiff(&[(0x010F, 2, 4, *b"Cam\0"), (0x0112, 3, 1, [low, high, 0, 0])])
    }

    /// The one Exif segment payload an oriented JPEG keeps: a big-endian TIFF header, then an
    /// IFD0 of one entry (tag 0x0112, type SHORT, count 1, the value) and no next IFD.
    fn orientation_only(orientation: u8) -> Vec<u8> {
        let mut payload = b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
        payload.extend_from_slice(&[0, orientation, 0, 0, 0, 0, 0, 0]);
        payload
    }

    /// A PNG's chunks: (type, the whole chunk).
    fn png_chunks(bytes: &[u8]) -> Vec<(&[u8], &[u8])> {
        let mut chunks = Vec::new();
        let mut at = 8;
        while at < bytes.len() {
            let length = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            chunks.push((&bytes[at + 4..at + 8], &bytes[at..at + 12 + length]));
            at += 12 + length;
        }
        chunks
    }

    /// A WebP's chunks: (FourCC, payload).
    fn webp_chunks(bytes: &[u8]) -> Vec<(&[u8], &[u8])> {
        let mut chunks = Vec::new();
        let mut at = 12;
        while at < bytes.len() {
            let length = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
            chunks.push((&bytes[at..at + 4], &bytes[at + 8..at + 8 + length]));
            at += 8 + length + length % 2;
        }
        chunks
    }

    /// A WebP file of these chunks, each padded to an even length.
    fn riff(chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
        let mut body = b"WEBP".to_vec();
        for (fourcc, payload) in chunks {
            body.extend_from_slice(*fourcc);
            body.extend_from_slice(&(payload.len() as u32).to_le_bytes());
            body.extend_from_slice(payload);
            if payload.len() % 2 == 1 {
                body.push(0);
            }
        }
        let mut file = b"RIFF".to_vec();
        file.extend_from_slice(&(body.len() as u32).to_le_bytes());
        file.extend_from_slice(&body);
        file
    }

    fn patched(bytes: &[u8], at: usize, with: &[u8]) -> Vec<u8> {
        let mut bytes = bytes.to_vec();
        bytes[at..at + with.len()].copy_from_slice(with);
        bytes
    }

    #[test]
    fn the_type_is_read_from_the_bytes() {
        for (bytes, kind, content_type, extension) in [
            (GPS_JPEG, ImageKind::Jpeg, "image/jpeg", "jpg"),
            (META_PNG, ImageKind::Png, "image/png", "png"),
            (META_WEBP, ImageKind::Webp, "image/webp", "webp"),
        ] {
            let image = inspected(bytes);
            assert_eq!(image.kind, kind);
            assert_eq!(image.kind.content_type(), content_type);
            assert_eq!(image.kind.extension(), extension);
        }
    }

    #[test]
    fn other_files_named_as_images_are_refused() {
        for bytes in [
            &b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"[..],
            b"<html><script>alert(1)</script></html>",
            b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01;",
            b"RIFF\x24\x00\x00\x00WAVEfmt ",
            b"\xff\xd8",
            b"",
        ] {
            assert_eq!(refusal(bytes), ImageError::Unsupported, "{bytes:?}");
        }
        assert_eq!(
            ImageError::Unsupported.message(),
            "must be a JPEG, PNG or WebP image"
        );
    }

    #[test]
    fn a_jpeg_size_comes_from_its_frame_header() {
        let baseline = inspected(GPS_JPEG);
        assert_eq!((baseline.width, baseline.height), (1, 1));
        let progressive = inspected(PROGRESSIVE_JPEG);
        assert_eq!((progressive.width, progressive.height), (5, 3));
        let restart = inspected(RESTART_JPEG);
        assert_eq!((restart.width, restart.height), (32, 16));
    }

    #[test]
    fn a_jpeg_loses_exif_xmp_iptc_and_comments_and_keeps_jfif_and_its_colour_profile() {
        assert_eq!(
            jpeg_markers(GPS_JPEG),
            [
                0xE0, 0xE1, 0xED, 0xE1, 0xE2, 0xFE, 0xDB, 0xDB, 0xC0, 0xC4, 0xC4, 0xC4, 0xC4, 0xDA
            ]
        );
        let cleaned = inspected(GPS_JPEG).bytes;
        assert_eq!(
            jpeg_markers(&cleaned),
            [0xE0, 0xE2, 0xDB, 0xDB, 0xC0, 0xC4, 0xC4, 0xC4, 0xC4, 0xDA]
        );
        for gone in [
            &b"Exif\0\0"[..],
            b"Owner Name",
            b"Secret",
            b"Idabel",
            b"Photoshop 3.0",
            b"http://ns.adobe.com/xap",
            b"taken at home",
        ] {
            assert!(
                contains(GPS_JPEG, gone) && !contains(&cleaned, gone),
                "{gone:?}"
            );
        }
        assert!(contains(&cleaned, b"ICC_PROFILE\0"));
    }

    #[test]
    fn a_jpeg_keeps_its_tables_frame_and_entropy_coded_data_byte_for_byte() {
        for original in [GPS_JPEG, PROGRESSIVE_JPEG, RESTART_JPEG, ORIENTED_JPEG] {
            let cleaned = inspected(original).bytes;
            let from_tables = &original[find(original, &[0xFF, 0xDB])..];
            assert!(cleaned.ends_with(from_tables));
            assert!(cleaned.starts_with(&original[..20]), "SOI and JFIF");
        }
    }

    #[test]
    fn a_sideways_jpeg_keeps_its_orientation_alone_right_after_jfif() {
        let original = exif_payloads(ORIENTED_JPEG);
        assert_eq!(original.len(), 1);
        for what in [&b"Owner Name"[..], b"Phone 12", b"2024:05:01", b"\x88\x25"] {
            assert!(contains(original[0], what), "fixture has {what:?}");
        }
        let image = inspected(ORIENTED_JPEG);
        assert_eq!(image.orientation, 6);
        assert_eq!(exif_payloads(&image.bytes), [orientation_only(6)]);
        assert_eq!(
            jpeg_markers(&image.bytes),
            [0xE0, 0xE1, 0xDB, 0xDB, 0xC0, 0xC4, 0xC4, 0xC4, 0xC4, 0xDA]
        );
        assert_eq!(
            from_first_scan(&image.bytes),
            from_first_scan(ORIENTED_JPEG)
        );
        for gone in [&b"Owner Name"[..], b"Phone", b"2024:05:01", b"\x88\x25"] {
            assert!(!contains(&image.bytes, gone), "{gone:?}");
        }
    }

    #[test]
    fn a_sideways_jpeg_measures_as_displayed() {
        let sof = find(ORIENTED_JPEG, &[0xFF, 0xC0]);
        assert_eq!(
            ORIENTED_JPEG[sof + 5..sof + 9],
            [0, 2, 0, 4],
            "stored 4 wide, 2 high"
        );
        let image = inspected(ORIENTED_JPEG);
        assert_eq!((image.width, image.height), (2, 4));
    }

    #[test]
    fn each_orientation_is_kept_and_quarter_turns_swap_the_size() {
        for orientation in 2..=8 {
            let image = inspected(&with_exif(RESTART_JPEG, &oriented(orientation)));
            let orientation = u8::try_from(orientation).unwrap();
            assert_eq!(image.orientation, orientation);
            assert_eq!(exif_payloads(&image.bytes), [orientation_only(orientation)]);
            let size = if orientation >= 5 { (16, 32) } else { (32, 16) };
            assert_eq!((image.width, image.height), size, "{orientation}");
            assert_eq!(from_first_scan(&image.bytes), from_first_scan(RESTART_JPEG));
        }
    }

    #[test]
    fn an_upright_jpeg_gets_no_exif_segment() {
        let image = inspected(&with_exif(RESTART_JPEG, &oriented(1)));
        assert_eq!(image.orientation, 1);
        assert!(!jpeg_markers(&image.bytes).contains(&0xE1));
        assert_eq!(image, inspected(RESTART_JPEG));
    }

    #[test]
    fn a_jpeg_without_jfif_gets_its_orientation_first() {
        let without_jfif = [&ORIENTED_JPEG[..2], &ORIENTED_JPEG[20..]].concat();
        assert_eq!(jpeg_markers(&without_jfif)[..2], [0xE1, 0xDB]);
        let image = inspected(&without_jfif);
        assert_eq!(jpeg_markers(&image.bytes)[..2], [0xE1, 0xDB]);
        assert_eq!(exif_payloads(&image.bytes), [orientation_only(6)]);
    }

    #[test]
    fn only_the_first_exif_segment_states_the_orientation() {
        let upright_first = with_exif(&with_exif(RESTART_JPEG, &oriented(6)), &oriented(1));
        assert_eq!(inspected(&upright_first).orientation, 1);
        let sideways_first = with_exif(&with_exif(RESTART_JPEG, &oriented(1)), &oriented(6));
        assert_eq!(inspected(&sideways_first).orientation, 6);
    }

    #[test]
    fn unreadable_exif_counts_as_upright_and_leaves_no_segment() {
        let good = oriented(6);
        let orientation_at = 10 + 12;
        let mut no_next_offset = good.clone();
        no_next_offset.truncate(good.len() - 4);
        let damaged = [
            ("empty", Vec::new()),
            ("header only", good[..8].to_vec()),
            ("unknown byte order", patched(&good, 0, b"IM")),
            ("not TIFF", patched(&good, 2, &[43])),
            (
                "big-endian marks, little-endian data",
                patched(&good, 0, b"MM\0*"),
            ),
            ("IFD0 inside the header", patched(&good, 4, &[4])),
            ("IFD0 at the start", patched(&good, 4, &[0])),
            (
                "IFD0 past the end",
                patched(&good, 4, &[0xFF, 0xFF, 0xFF, 0xFF]),
            ),
            ("more entries than there are", patched(&good, 8, &[3])),
            ("entries without the next offset", no_next_offset),
            ("type LONG", patched(&good, orientation_at + 2, &[4])),
            ("two values", patched(&good, orientation_at + 4, &[2])),
            ("value 0", patched(&good, orientation_at + 8, &[0])),
            ("value 9", patched(&good, orientation_at + 8, &[9])),
            ("value 262", patched(&good, orientation_at + 8, &[6, 1])),
        ];
        let without = inspected(RESTART_JPEG);
        for (what, tiff) in damaged {
            assert_eq!(
                inspected(&with_exif(RESTART_JPEG, &tiff)),
                without,
                "{what}"
            );
        }
    }

    #[test]
    fn bytes_after_a_jpeg_end_of_image_are_dropped() {
        let mut with_trailer = GPS_JPEG.to_vec();
        with_trailer.extend_from_slice(b"\xff\xd8\xff\xe1 a second picture with its own GPS");
        assert_eq!(inspected(&with_trailer), inspected(GPS_JPEG));
    }

    #[test]
    fn a_png_loses_text_exif_and_time_chunks_and_keeps_the_rest_byte_for_byte() {
        let dropped: [&[u8]; 5] = [b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"];
        let original = png_chunks(META_PNG);
        for kind in dropped {
            assert!(
                original.iter().any(|(k, _)| *k == kind),
                "fixture has {kind:?}"
            );
        }
        let image = inspected(META_PNG);
        assert_eq!((image.width, image.height), (3, 2));
        let kept: Vec<_> = original
            .into_iter()
            .filter(|(kind, _)| !dropped.contains(kind))
            .collect();
        assert_eq!(png_chunks(&image.bytes), kept);
        assert!(image.bytes.starts_with(png::SIGNATURE));
    }

    #[test]
    fn a_webp_loses_exif_and_xmp_and_its_header_stops_announcing_them() {
        let original = webp_chunks(META_WEBP);
        assert_eq!(
            original[0].1[0] & 0x0C,
            0x0C,
            "fixture announces EXIF and XMP"
        );
        let image = inspected(META_WEBP);
        assert_eq!((image.width, image.height), (3, 2));
        let cleaned = webp_chunks(&image.bytes);
        let fourccs: Vec<&[u8]> = cleaned.iter().map(|(fourcc, _)| *fourcc).collect();
        assert_eq!(fourccs, [b"VP8X", b"VP8 "]);
        assert_eq!(cleaned[0].1[0], original[0].1[0] & !0x0C);
        assert_eq!(cleaned[0].1[1..], original[0].1[1..]);
        assert_eq!(cleaned[1], original[1], "the image data");
        let riff_size = u32::from_le_bytes(image.bytes[4..8].try_into().unwrap());
        assert_eq!(riff_size as usize, image.bytes.len() - 8);
        assert!(!contains(&image.bytes, b"Owner Name"));
    }

    #[test]
    fn webp_chunks_stay_padded_to_even_lengths() {
        let vp8l = webp_chunks(LOSSLESS_WEBP)[0].1;
        let header = |flags: u8| [flags, 0, 0, 0, 4, 0, 0, 2, 0, 0];
        let upload = riff(&[
            (b"VP8X", &header(0x0C)),
            (b"EXIF", b"MM\0*\0"),
            (b"ZZZZ", b"odd"),
            (b"VP8L", vp8l),
            (b"XMP ", b"<x/>\n"),
        ]);
        let image = inspected(&upload);
        assert_eq!((image.width, image.height), (5, 3));
        assert_eq!(
            image.bytes,
            riff(&[(b"VP8X", &header(0)), (b"ZZZZ", b"odd"), (b"VP8L", vp8l)])
        );
    }

    #[test]
    fn simple_webp_files_come_out_unchanged() {
        let lossy = inspected(LOSSY_WEBP);
        assert_eq!((lossy.width, lossy.height), (7, 4));
        assert_eq!(lossy.bytes, LOSSY_WEBP);
        let lossless = inspected(LOSSLESS_WEBP);
        assert_eq!((lossless.width, lossless.height), (5, 3));
        assert_eq!(lossless.bytes, LOSSLESS_WEBP);
    }

    #[test]
    fn a_cleaned_image_cleans_to_itself() {
        for original in [
            GPS_JPEG,
            PROGRESSIVE_JPEG,
            RESTART_JPEG,
            ORIENTED_JPEG,
            META_PNG,
            META_WEBP,
            LOSSY_WEBP,
            LOSSLESS_WEBP,
        ] {
            let once = inspected(original);
            assert_eq!(inspected(&once.bytes), once);
        }
    }

    #[test]
    fn truncated_images_are_refused() {
        for original in [
            GPS_JPEG,
            PROGRESSIVE_JPEG,
            RESTART_JPEG,
            ORIENTED_JPEG,
            META_PNG,
            META_WEBP,
            LOSSY_WEBP,
            LOSSLESS_WEBP,
        ] {
            for end in 0..original.len() {
                assert!(inspect(&original[..end], &Limits::UPLOAD).is_err(), "{end}");
            }
        }
        assert_eq!(
            refusal(&GPS_JPEG[..GPS_JPEG.len() - 2]),
            ImageError::Unreadable
        );
        assert_eq!(refusal(&META_PNG[..100]), ImageError::Unreadable);
    }

    #[test]
    fn broken_structure_is_refused() {
        let sof = find(GPS_JPEG, &[0xFF, 0xC0]);
        let dqt = find(GPS_JPEG, &[0xFF, 0xDB]);
        let idat = find(META_PNG, b"IDAT") - 4;
        let iend = find(META_PNG, b"IEND") - 4;
        let mut png_without_header = META_PNG[..8].to_vec();
        png_without_header.extend_from_slice(&META_PNG[idat..]);
        let mut png_without_data = META_PNG[..idat].to_vec();
        png_without_data.extend_from_slice(&META_PNG[iend..]);
        let mut jpeg_without_frame = GPS_JPEG[..sof].to_vec();
        jpeg_without_frame.extend_from_slice(&GPS_JPEG[sof + 19..]);
        let broken = [
            (
                "segment past the end",
                patched(GPS_JPEG, dqt + 2, &[0xFF, 0xFF]),
            ),
            (
                "segment shorter than its length",
                patched(GPS_JPEG, dqt + 2, &[0, 1]),
            ),
            ("not a marker", patched(GPS_JPEG, dqt, &[0x00])),
            ("scan without a frame", jpeg_without_frame),
            (
                "frame header of the wrong length",
                patched(GPS_JPEG, sof + 3, &[16]),
            ),
            ("no IHDR", png_without_header),
            ("no IDAT", png_without_data),
            ("chunk type not letters", patched(META_PNG, 12, b"IH1R")),
            ("chunk past the end", patched(META_PNG, iend, &[0, 0, 1, 0])),
            (
                "RIFF past the end",
                patched(LOSSY_WEBP, 4, &[0xFF, 0, 0, 0]),
            ),
            ("no image chunk first", patched(LOSSY_WEBP, 12, b"ALPH")),
            ("not a key frame", patched(LOSSY_WEBP, 20, &[0x01])),
            ("VP8L signature", patched(LOSSLESS_WEBP, 20, &[0x00])),
            ("VP8X without an image", riff(&[(b"VP8X", &[0; 10])])),
        ];
        for (what, bytes) in broken {
            assert_eq!(
                inspect(&bytes, &Limits::UPLOAD),
                Err(ImageError::Unreadable),
                "{what}"
            );
        }
    }

    #[test]
    fn images_claiming_no_pixels_are_refused() {
        let sof = find(GPS_JPEG, &[0xFF, 0xC0]);
        assert_eq!(
            refusal(&patched(GPS_JPEG, sof + 5, &[0, 0])),
            ImageError::Unreadable
        );
        assert_eq!(
            refusal(&patched(META_PNG, 16, &[0; 4])),
            ImageError::Unreadable
        );
        assert_eq!(
            refusal(&patched(LOSSY_WEBP, 26, &[0, 0])),
            ImageError::Unreadable
        );
    }

    #[test]
    fn images_too_wide_high_or_many_pixeled_are_refused() {
        let too_wide = ImageError::TooWideOrHigh { max_side: 8000 };
        let too_many = ImageError::TooManyPixels {
            max_pixels: 40_000_000,
        };
        let sof = find(GPS_JPEG, &[0xFF, 0xC0]);
        let side = |n: u16| n.to_be_bytes();
        assert_eq!(refusal(&patched(GPS_JPEG, sof + 5, &side(8001))), too_wide);
        assert_eq!(refusal(&patched(GPS_JPEG, sof + 7, &side(8001))), too_wide);
        let both = [side(7000), side(7000)].concat();
        assert_eq!(refusal(&patched(GPS_JPEG, sof + 5, &both)), too_many);
        let at_limit = [side(8000), side(5000)].concat();
        assert!(inspect(&patched(GPS_JPEG, sof + 5, &at_limit), &Limits::UPLOAD).is_ok());
        assert_eq!(
            refusal(&patched(META_PNG, 20, &8001_u32.to_be_bytes())),
            too_wide
        );
        assert_eq!(
            refusal(&patched(META_PNG, 16, &u32::MAX.to_be_bytes())),
            ImageError::Unreadable
        );
        // The canvas stores width − 1 in 24 bits: 0x1F40 is 8001 pixels.
        assert_eq!(refusal(&patched(META_WEBP, 24, &[0x40, 0x1F, 0])), too_wide);
        assert_eq!(
            too_wide.message(),
            "must be at most 8000 pixels wide and high"
        );
        assert_eq!(too_many.message(), "must be at most 40 megapixels");
    }

    #[test]
    fn uploads_over_the_byte_limit_are_refused() {
        let small = Limits {
            max_bytes: GPS_JPEG.len() - 1,
            ..Limits::UPLOAD
        };
        let refused = inspect(GPS_JPEG, &small).unwrap_err();
        assert_eq!(
            refused,
            ImageError::TooManyBytes {
                max_bytes: small.max_bytes
            }
        );
        let upload_limit = ImageError::TooManyBytes {
            max_bytes: Limits::UPLOAD.max_bytes,
        };
        assert_eq!(upload_limit.message(), "must be at most 10 MB");
    }

    #[test]
    fn refusals_are_errors_of_the_photo_field() {
        let error = FieldError::from(ImageError::Unreadable);
        assert_eq!(
            error,
            FieldError::new("photo", "could not be read as an image")
        );
    }

    #[test]
    fn the_content_key_names_the_cleaned_bytes() {
        let image = inspected(GPS_JPEG);
        let key = content_key(42, &image);
        assert!(crate::photos::is_content_addressed(&key), "{key}");
        assert_eq!(
            key,
            format!("photos/42/{}.jpg", sha256_hex(&image.bytes, 32))
        );
        let mut with_trailer = GPS_JPEG.to_vec();
        with_trailer.extend_from_slice(b"metadata written after the image");
        assert_eq!(content_key(42, &inspected(&with_trailer)), key);
        assert!(content_key(42, &inspected(META_WEBP)).ends_with(".webp"));
        let oriented = inspected(ORIENTED_JPEG);
        assert_eq!(
            content_key(42, &oriented),
            format!("photos/42/{}.jpg", sha256_hex(&oriented.bytes, 32)),
            "named with the orientation segment it keeps"
        );
    }
}
