//! Big-endian building blocks of the canonical aggregate encodings (see `docs/aggregation.md`).

use super::AggregateError;

pub(crate) trait Put {
    fn put_u8(&mut self, v: u8);
    fn put_u16(&mut self, v: u16);
    fn put_u32(&mut self, v: u32);
    fn put_u64(&mut self, v: u64);
    fn put_u128(&mut self, v: u128);
    /// `Option<u64>`-like values: one byte 0 (absent) or 1 followed by the value.
    fn put_opt_u64(&mut self, v: Option<u64>);
    fn put_opt_u16(&mut self, v: Option<u16>);
    /// Two's complement, big-endian.
    fn put_i64(&mut self, v: i64);
    fn put_opt_i64(&mut self, v: Option<i64>);
}

impl Put for Vec<u8> {
    fn put_u8(&mut self, v: u8) {
        self.push(v);
    }
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_u128(&mut self, v: u128) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_opt_u64(&mut self, v: Option<u64>) {
        match v {
            None => self.push(0),
            Some(v) => {
                self.push(1);
                self.put_u64(v);
            }
        }
    }
    fn put_opt_u16(&mut self, v: Option<u16>) {
        match v {
            None => self.push(0),
            Some(v) => {
                self.push(1);
                self.put_u16(v);
            }
        }
    }
    fn put_i64(&mut self, v: i64) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_opt_i64(&mut self, v: Option<i64>) {
        match v {
            None => self.push(0),
            Some(v) => {
                self.push(1);
                self.put_i64(v);
            }
        }
    }
}

/// A cursor over an encoding being decoded.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], AggregateError> {
        if self.remaining() < n {
            return Err(AggregateError::Malformed("truncated"));
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], AggregateError> {
        Ok(self.take(N)?.try_into().expect("length checked"))
    }

    pub(crate) fn u8(&mut self) -> Result<u8, AggregateError> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u32(&mut self) -> Result<u32, AggregateError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, AggregateError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    pub(crate) fn i64(&mut self) -> Result<i64, AggregateError> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    pub(crate) fn u128(&mut self) -> Result<u128, AggregateError> {
        Ok(u128::from_be_bytes(self.array()?))
    }
}
