package sandboxinit

import (
	"os"
	"reflect"
	"testing"
)

// TestConfigPipe: the init reads one framed Config and then waits for the
// pipe to close; a frame cut short, an oversized one or bytes after the
// frame are errors.
func TestConfigPipe(t *testing.T) {
	want := testConfig()
	msg, err := want.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	huge := []byte{0, 0, 0x10, 0}
	for _, tc := range []struct {
		name             string
		write            []byte
		readErr, waitErr bool
	}{
		{"framed", Frame(msg), false, false},
		{"cut short", Frame(msg)[:len(msg)/2], true, false},
		{"too large", huge, true, false},
		{"bytes after the frame", append(Frame(msg), 'x'), false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			fd := int(r.Fd())
			if _, err := w.Write(tc.write); err != nil {
				t.Fatal(err)
			}
			w.Close()
			cfg, err := readConfig(fd)
			if (err != nil) != tc.readErr {
				t.Fatalf("readConfig: %v, want error %v", err, tc.readErr)
			}
			if err != nil {
				return
			}
			if !reflect.DeepEqual(*cfg, want) {
				t.Fatalf("got %+v, want %+v", *cfg, want)
			}
			if err := waitClosed(fd); (err != nil) != tc.waitErr {
				t.Fatalf("waitClosed: %v, want error %v", err, tc.waitErr)
			}
		})
	}
}
