package sandboxinit

// Config travels as a flat sequence of fields in declaration order:
// integers as unsigned varints, strings and byte strings as a varint
// length and the bytes, string lists as a varint count and the strings.
// It is a few microseconds to encode and decode, where encoding/json's
// reflection would be the largest part of a small init's work and of its
// size.

// MarshalBinary encodes c.
func (c *Config) MarshalBinary() ([]byte, error) {
	var e encoder
	if len(c.Mounts) > maxTrees || (c.Image && len(c.Mounts) == 0) {
		return nil, errConfig
	}
	e.list(c.Mounts)
	image := 0
	if c.Image {
		image = 1
	}
	e.str(c.Path)
	e.list(c.Args)
	e.list(c.Env)
	for _, n := range []int{image, c.TmpMB, c.UID, c.GID, c.NoFile} {
		if n < 0 {
			return nil, errConfig
		}
		e.uint(uint64(n))
	}
	e.str(c.WorkDir)
	e.str(string(c.Seccomp))
	return e.b, nil
}

// UnmarshalBinary decodes what MarshalBinary encoded.
func (c *Config) UnmarshalBinary(b []byte) error {
	d := decoder{b: b}
	*c = Config{Mounts: d.list(), Path: d.str(), Args: d.list(), Env: d.list()}
	image := d.uint()
	c.TmpMB, c.UID, c.GID, c.NoFile, c.WorkDir = d.int(), d.int(), d.int(), d.int(), d.str()
	c.Image = image == 1
	if s := d.str(); s != "" {
		c.Seccomp = []byte(s)
	}
	if d.bad || len(d.b) != 0 || image > 1 || len(c.Mounts) > maxTrees || (c.Image && len(c.Mounts) == 0) {
		return errConfig
	}
	return nil
}

type encoder struct{ b []byte }

func (e *encoder) uint(v uint64) {
	for v >= 0x80 {
		e.b = append(e.b, byte(v)|0x80)
		v >>= 7
	}
	e.b = append(e.b, byte(v))
}

func (e *encoder) str(s string) {
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) list(l []string) {
	e.uint(uint64(len(l)))
	for _, s := range l {
		e.str(s)
	}
}

// decoder reads fields from b; after the first error every field is zero
// and bad is set.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) uint() uint64 {
	var v uint64
	for i := 0; i < len(d.b) && i < 10; i++ {
		c := d.b[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			d.b = d.b[i+1:]
			return v
		}
	}
	d.bad, d.b = true, nil
	return 0
}

func (d *decoder) int() int {
	v := d.uint()
	if v > 1<<31-1 {
		d.bad, d.b = true, nil
		return 0
	}
	return int(v)
}

func (d *decoder) str() string {
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.bad, d.b = true, nil
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) list() []string {
	n := d.uint()
	if n > uint64(len(d.b)) { // every string takes at least a byte
		d.bad, d.b = true, nil
		return nil
	}
	var l []string
	if n > 0 {
		l = make([]string, n)
	}
	for i := range l {
		l[i] = d.str()
	}
	return l
}
