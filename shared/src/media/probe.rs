//! What the first bytes of a file say: whether they are of the declared type, and an image's
//! width and height (PNG, GIF, WebP, JPEG). Reads only the prefix it is given.

/// How many leading bytes [`probe`] wants: enough for every header it reads, and for the
/// frame header of most JPEGs (after their EXIF block).
pub const PREFIX_BYTES: u64 = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// The bytes start the way files of the declared type start.
    pub type_matches: bool,
    /// An image's size in pixels, when its header is within the prefix.
    pub dimensions: Option<(u32, u32)>,
}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?])))
}
fn le16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?])))
}
fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
}
fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn positive(w: u32, h: u32) -> Option<(u32, u32)> {
    (w > 0 && h > 0).then_some((w, h))
}

fn png(b: &[u8]) -> Option<(u32, u32)> {
    (b.get(12..16)? == b"IHDR").then_some(())?;
    positive(be32(b, 16)?, be32(b, 20)?)
}

fn gif(b: &[u8]) -> Option<(u32, u32)> {
    positive(le16(b, 6)?, le16(b, 8)?)
}

fn webp(b: &[u8]) -> Option<(u32, u32)> {
    match b.get(12..16)? {
        // Lossy: a key frame's start code, then 14-bit sizes.
        b"VP8 " => {
            (b.get(23..26)? == [0x9d, 0x01, 0x2a]).then_some(())?;
            positive(le16(b, 26)? & 0x3fff, le16(b, 28)? & 0x3fff)
        }
        // Lossless: a signature byte, then 14-bit sizes minus one.
        b"VP8L" => {
            (*b.get(20)? == 0x2f).then_some(())?;
            let bits = le32(b, 21)?;
            positive((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1)
        }
        // Extended: the canvas, 24-bit sizes minus one.
        b"VP8X" => positive(le24(b, 24)? + 1, le24(b, 27)? + 1),
        _ => None,
    }
}

/// Walks the JPEG segments up to the first start-of-frame marker.
fn jpeg(b: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    loop {
        while *b.get(i)? != 0xff {
            i += 1;
        }
        while *b.get(i)? == 0xff {
            i += 1;
        }
        let marker = *b.get(i)?;
        i += 1;
        match marker {
            // Markers without a length.
            0x01 | 0xd0..=0xd8 => continue,
            // Start of scan or end of image before any frame: no size to read.
            0xd9 | 0xda => return None,
            // Start of frame (0xc4, 0xc8 and 0xcc are tables, not frames).
            0xc0..=0xcf if !matches!(marker, 0xc4 | 0xc8 | 0xcc) => {
                return positive(be16(b, i + 5)?, be16(b, i + 3)?);
            }
            _ => i += usize::try_from(be16(b, i)?).ok()?,
        }
    }
}

/// Checks `prefix` (the file's first bytes) against `content_type`, one of the allowed types.
pub fn probe(content_type: &str, prefix: &[u8]) -> Probe {
    let starts = |magic: &[u8]| prefix.starts_with(magic);
    let (type_matches, dimensions) = match content_type {
        "image/png" => {
            let ok = starts(b"\x89PNG\r\n\x1a\n");
            (ok, ok.then(|| png(prefix)).flatten())
        }
        "image/gif" => {
            let ok = starts(b"GIF87a") || starts(b"GIF89a");
            (ok, ok.then(|| gif(prefix)).flatten())
        }
        "image/webp" => {
            let ok = starts(b"RIFF") && prefix.get(8..12) == Some(b"WEBP");
            (ok, ok.then(|| webp(prefix)).flatten())
        }
        "image/jpeg" => {
            let ok = starts(&[0xff, 0xd8, 0xff]);
            (ok, ok.then(|| jpeg(prefix)).flatten())
        }
        // ISO base media files open with a box whose type is at bytes 4–8.
        "video/mp4" => (prefix.get(4..8) == Some(b"ftyp"), None),
        "video/quicktime" => (
            prefix.get(4..8).is_some_and(|t| {
                [b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"].iter().any(|m| m.as_slice() == t)
            }),
            None,
        ),
        _ => (false, None),
    };
    Probe { type_matches, dimensions }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest headers of each format, as the suite also builds them.
    pub fn png_header(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend(w.to_be_bytes());
        b.extend(h.to_be_bytes());
        b.extend([8, 6, 0, 0, 0]);
        b
    }

    #[test]
    fn png_and_gif_sizes() {
        assert_eq!(
            probe("image/png", &png_header(640, 480)),
            Probe { type_matches: true, dimensions: Some((640, 480)) }
        );
        let gif = [b"GIF89a".as_slice(), &[0x40, 0x01, 0xf0, 0x00]].concat();
        assert_eq!(probe("image/gif", &gif).dimensions, Some((320, 240)));
    }

    #[test]
    fn jpeg_size_comes_from_the_frame_after_other_segments() {
        let mut b = vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10];
        b.extend([0u8; 14]); // APP0 body
        b.extend([0xff, 0xdb, 0x00, 0x04, 0x00, 0x00]); // a quantization table
        b.extend([0xff, 0xc2, 0x00, 0x11, 0x08, 0x02, 0x58, 0x03, 0x20]); // progressive, 800×600
        assert_eq!(probe("image/jpeg", &b), Probe { type_matches: true, dimensions: Some((800, 600)) });
        assert_eq!(probe("image/jpeg", &b[..20]).dimensions, None, "a cut prefix has no size");
        assert_eq!(probe("image/jpeg", &[0xff, 0xd8, 0xff, 0xda, 0, 2]).dimensions, None);
    }

    #[test]
    fn webp_variants() {
        let mut lossy = b"RIFF\0\0\0\0WEBPVP8 \0\0\0\0".to_vec();
        lossy.extend([0, 0, 0, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]);
        assert_eq!(probe("image/webp", &lossy).dimensions, Some((640, 480)));
        let mut lossless = b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2f".to_vec();
        lossless.extend(((99u32) | (49u32 << 14)).to_le_bytes());
        assert_eq!(probe("image/webp", &lossless).dimensions, Some((100, 50)));
        let mut extended = b"RIFF\0\0\0\0WEBPVP8X\0\0\0\0\0\0\0\0".to_vec();
        extended.extend([0xff, 0x03, 0x00, 0xff, 0x01, 0x00]);
        assert_eq!(probe("image/webp", &extended).dimensions, Some((1024, 512)));
    }

    #[test]
    fn other_bytes_do_not_pass_for_the_declared_type() {
        assert!(!probe("image/png", b"<html><script>").type_matches);
        assert!(!probe("image/jpeg", &png_header(1, 1)).type_matches);
        assert!(!probe("video/mp4", b"GIF89a\x01\0\x01\0").type_matches);
        assert!(probe("video/mp4", b"\0\0\0\x20ftypisom").type_matches);
        assert!(probe("video/quicktime", b"\0\0\0\x08wide").type_matches);
        assert!(!probe("image/png", b"").type_matches);
        assert_eq!(probe("image/png", &png_header(0, 5)).dimensions, None);
    }
}
