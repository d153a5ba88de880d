//! The header of a `.npy` array: a Python dict literal such as
//! `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }` giving the
//! element type, the memory order and the shape (numpy's `numpy.lib.format`).
//! Only the few literal forms numpy writes are parsed; nothing is evaluated.

/// Nesting deeper than this is refused, so a hostile header cannot exhaust the stack.
const MAX_DEPTH: usize = 8;

/// What a header describes.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Header {
    pub(super) descr: Descr,
    /// Columns stored one after the other (Fortran order) rather than rows (C order).
    pub(super) fortran: bool,
    pub(super) shape: Vec<usize>,
}

/// The element type: one scalar type, or the fields of a structured array.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Descr {
    Plain(Dtype),
    Fields(Vec<Field>),
}

/// One field of a structured array, at `offset` bytes into each record.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Field {
    pub(super) name: String,
    pub(super) dtype: Dtype,
    pub(super) offset: usize,
}

/// A scalar element type such as `<f4` or `<U12`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Dtype {
    pub(super) kind: Kind,
    /// Bytes per element.
    pub(super) size: usize,
    pub(super) big_endian: bool,
}

/// The kinds of element rede reads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Kind {
    Float,
    Int,
    Uint,
    Bool,
    /// Fixed-width UCS-4 text (`<U…`), NUL-padded.
    Unicode,
    /// Fixed-width byte strings (`|S…`), read as UTF-8.
    Bytes,
    /// Unnamed padding between fields (`|V…`).
    Padding,
}

impl Header {
    /// Bytes per element (per record for a structured array).
    pub(super) fn item_size(&self) -> usize {
        match &self.descr {
            Descr::Plain(d) => d.size,
            Descr::Fields(fields) => fields.last().map_or(0, |f| f.offset + f.dtype.size),
        }
    }

    /// Number of elements, or an error when the shape's product overflows.
    pub(super) fn count(&self) -> Result<usize, String> {
        self.shape
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .ok_or_else(|| format!("the shape {} is impossibly large", shape_text(&self.shape)))
    }
}

/// A shape as Python writes it: `(3, 4)`.
pub(super) fn shape_text(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(usize::to_string).collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}

/// Parses the header dict.
pub(super) fn parse(text: &str) -> Result<Header, String> {
    let mut parser = Parser { s: text.as_bytes(), pos: 0 };
    let value = parser.value(0)?;
    parser.skip_space();
    if parser.pos != parser.s.len() {
        return Err(format!("unexpected text after the header dict at byte {}", parser.pos));
    }
    let Value::Dict(entries) = value else { return Err("the header is not a dict".into()) };
    let get = |key: &str| entries.iter().find(|(k, _)| matches!(k, Value::Str(s) if s == key)).map(|(_, v)| v);
    let descr = descr(get("descr").ok_or("the header has no 'descr'")?)?;
    let fortran = match get("fortran_order") {
        Some(Value::Bool(b)) => *b,
        _ => return Err("the header's 'fortran_order' is missing or not True/False".into()),
    };
    let shape = match get("shape") {
        Some(Value::List(dims)) => dims.iter().map(dim).collect::<Result<Vec<_>, _>>()?,
        _ => return Err("the header's 'shape' is missing or not a tuple".into()),
    };
    Ok(Header { descr, fortran, shape })
}

fn dim(value: &Value) -> Result<usize, String> {
    match value {
        Value::Int(n) => usize::try_from(*n).map_err(|_| format!("shape dimension {n} is too large")),
        other => Err(format!("shape dimension {other:?} is not a whole number")),
    }
}

/// The `descr` value: a type string, or a list of `(name, type)` fields.
fn descr(value: &Value) -> Result<Descr, String> {
    match value {
        Value::Str(s) => match dtype(s)? {
            // Raw bytes are only padding between fields; alone they are no data rede reads.
            Dtype { kind: Kind::Padding, .. } => {
                Err(format!("the array holds raw bytes ('{s}'), which rede does not read"))
            }
            dtype => Ok(Descr::Plain(dtype)),
        },
        Value::List(items) => fields(items).map(Descr::Fields),
        _ => Err("the header's 'descr' is neither a type string nor a list of fields".into()),
    }
}

fn fields(items: &[Value]) -> Result<Vec<Field>, String> {
    let mut fields = Vec::with_capacity(items.len());
    let mut offset = 0usize;
    for item in items {
        let (name, type_) = match item {
            Value::List(pair) => match pair.as_slice() {
                [Value::Str(name), Value::Str(t)] => (name, t),
                [Value::Str(name), Value::List(_)] => {
                    return Err(format!("field '{name}' is a nested structure, which rede does not read"))
                }
                [Value::Str(name), _, _] => {
                    return Err(format!("field '{name}' holds a sub-array per row; rede reads one value per field"))
                }
                _ => return Err(format!("a field of the structured type is not (name, type): {item:?}")),
            },
            _ => return Err(format!("a field of the structured type is not (name, type): {item:?}")),
        };
        let dtype = dtype(type_).map_err(|e| format!("field '{name}': {e}"))?;
        if dtype.kind == Kind::Padding && !name.is_empty() {
            return Err(format!("field '{name}' is raw bytes ({type_}), which rede does not read"));
        }
        fields.push(Field { name: name.clone(), dtype, offset });
        offset = offset.checked_add(dtype.size).ok_or("the structured type is impossibly large")?;
    }
    if fields.iter().all(|f| f.dtype.kind == Kind::Padding) {
        return Err("the structured type has no fields".into());
    }
    Ok(fields)
}

/// A type string such as `<f8`, `|b1` or `<U5`.
pub(super) fn dtype(s: &str) -> Result<Dtype, String> {
    let bytes = s.as_bytes();
    let (order, rest) = match bytes.first() {
        Some(&c @ (b'<' | b'>' | b'|' | b'=')) => (c, &s[1..]),
        _ => (b'|', s),
    };
    let (kind_char, digits) = rest.split_at(rest.chars().next().map_or(0, char::len_utf8));
    if kind_char == "O" {
        return Err("the array holds Python objects (dtype object, stored as pickles), which rede never \
                    unpickles; save numbers, or strings as fixed-width text (e.g. .astype(str))"
            .into());
    }
    let width: usize = digits
        .parse()
        .map_err(|_| format!("unsupported element type '{s}' (rede reads floats, integers, booleans and text)"))?;
    let (kind, size) = match (kind_char, width) {
        ("f", 4 | 8) => (Kind::Float, width),
        ("f", _) => return Err(format!("{}-byte floats ('{s}') are not supported; save as float32 or float64", width)),
        ("i", 1 | 2 | 4 | 8) => (Kind::Int, width),
        ("u", 1 | 2 | 4 | 8) => (Kind::Uint, width),
        ("b", 1) => (Kind::Bool, 1),
        // Elements of no bytes would let a tiny file claim any number of them.
        ("U" | "S", 0) => return Err(format!("element type '{s}' has no width")),
        ("U", n) => (Kind::Unicode, n.checked_mul(4).ok_or_else(|| format!("element type '{s}' is too wide"))?),
        ("S", n) => (Kind::Bytes, n),
        ("V", n) => (Kind::Padding, n),
        _ => return Err(format!("unsupported element type '{s}' (rede reads floats, integers, booleans and text)")),
    };
    Ok(Dtype { kind, size, big_endian: order == b'>' })
}

/// The Python literals numpy headers use.
#[derive(Debug, PartialEq)]
enum Value {
    Str(String),
    Int(u64),
    Bool(bool),
    None,
    /// A tuple or a list.
    List(Vec<Value>),
    Dict(Vec<(Value, Value)>),
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while self.s.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.s.get(self.pos).copied()
    }

    fn error(&self, what: &str) -> String {
        format!("malformed header at byte {}: {what}", self.pos)
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        match self.peek() {
            Some(b'{') => self.dict(depth),
            Some(b'(') => self.sequence(b')', depth).map(Value::List),
            Some(b'[') => self.sequence(b']', depth).map(Value::List),
            Some(q @ (b'\'' | b'"')) => self.string(q).map(Value::Str),
            Some(b'0'..=b'9') => self.int(),
            Some(_) => self.word(),
            None => Err(self.error("unexpected end")),
        }
    }

    fn dict(&mut self, depth: usize) -> Result<Value, String> {
        self.pos += 1;
        let mut entries = Vec::new();
        loop {
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(Value::Dict(entries));
            }
            let key = self.value(depth + 1)?;
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':'"));
            }
            self.pos += 1;
            entries.push((key, self.value(depth + 1)?));
            self.separator(b'}')?;
        }
    }

    fn sequence(&mut self, close: u8, depth: usize) -> Result<Vec<Value>, String> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(items);
            }
            items.push(self.value(depth + 1)?);
            self.separator(close)?;
        }
    }

    /// After an item: a comma, or the closing bracket (left for the caller).
    fn separator(&mut self, close: u8) -> Result<(), String> {
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(())
            }
            Some(c) if c == close => Ok(()),
            _ => Err(self.error(&format!("expected ',' or '{}'", close as char))),
        }
    }

    fn string(&mut self, quote: u8) -> Result<String, String> {
        self.pos += 1;
        let mut out = Vec::new();
        while let Some(&c) = self.s.get(self.pos) {
            self.pos += 1;
            match c {
                _ if c == quote => return String::from_utf8(out).map_err(|_| self.error("string is not UTF-8")),
                // An escaped character stands for itself (numpy's names need no more).
                b'\\' => {
                    out.extend(self.s.get(self.pos));
                    self.pos += 1;
                }
                _ => out.push(c),
            }
        }
        Err(self.error("unterminated string"))
    }

    fn int(&mut self) -> Result<Value, String> {
        let start = self.pos;
        while self.s.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.pos]).map_err(|_| self.error("bad number"))?;
        let n = text.parse().map_err(|_| self.error(&format!("number {text} is too large")))?;
        // Python 2 wrote long integers with an `L` suffix.
        if self.s.get(self.pos) == Some(&b'L') {
            self.pos += 1;
        }
        Ok(Value::Int(n))
    }

    fn word(&mut self) -> Result<Value, String> {
        for (word, value) in [("True", Value::Bool(true)), ("False", Value::Bool(false)), ("None", Value::None)] {
            if self.s[self.pos..].starts_with(word.as_bytes()) {
                self.pos += word.len();
                return Ok(value);
            }
        }
        Err(self.error("unexpected character"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numpy_headers() {
        let h = parse("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }          \n").unwrap();
        assert_eq!(h.descr, Descr::Plain(Dtype { kind: Kind::Float, size: 8, big_endian: false }));
        assert_eq!((h.fortran, h.shape.clone(), h.count().unwrap(), h.item_size()), (false, vec![3, 4], 12, 8));
        let h = parse("{'descr': [('a', '<i4'), ('', '|V4'), ('name', '<U3')], 'fortran_order': True, 'shape': (2,)}")
            .unwrap();
        let Descr::Fields(f) = &h.descr else { panic!("fields") };
        assert_eq!((f[2].name.as_str(), f[2].offset, f[2].dtype.size, h.item_size()), ("name", 8, 12, 20));
        assert_eq!(parse("{'descr':'>u2','fortran_order':False,'shape':(5L,)}").unwrap().shape, vec![5]);
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let with = |d: &str| parse(&format!("{{'descr': {d}, 'fortran_order': False, 'shape': (1,)}}")).unwrap_err();
        assert!(with("'|O'").contains("never unpickles"));
        assert!(with("'<f2'").contains("2-byte floats"));
        assert!(with("'<M8[ns]'").contains("unsupported element type"));
        assert!(with("[('x', '<f8', (3,))]").contains("sub-array"));
        assert!(with("'|S0'").contains("no width") && with("[('a', '<U0')]").contains("no width"));
        assert!(with("'|V8'").contains("raw bytes"));
        assert!(parse("{'descr': '<f8', 'shape': (1,)}").unwrap_err().contains("fortran_order"));
        assert!(parse(&("[".repeat(100) + "]".repeat(100).as_str())).unwrap_err().contains("nested too deeply"));
        assert!(parse("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,)}").is_err());
        let huge = parse("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16)}").unwrap();
        assert!(huge.count().unwrap_err().contains("impossibly large"));
    }
}
