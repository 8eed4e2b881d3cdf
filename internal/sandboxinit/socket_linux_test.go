package sandboxinit

import (
	"os"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

// TestConfigSocket: the init reads one framed Config with the descriptors
// of its trees and then waits for the socket to close; a frame cut short,
// an oversized one, bytes after the frame, or descriptors that do not
// match the Config's mounts are errors, and no descriptor received in
// error stays open.
func TestConfigSocket(t *testing.T) {
	want := testConfig()
	msg, err := want.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	huge := []byte{0, 0, 0x10, 0}
	for _, tc := range []struct {
		name             string
		write            []byte
		fds              int
		readErr, waitErr bool
	}{
		{"framed", Frame(msg), len(want.Mounts), false, false},
		{"cut short", Frame(msg)[:len(msg)/2], len(want.Mounts), true, false},
		{"too large", huge, 1, true, false},
		{"bytes after the frame", append(Frame(msg), 'x'), len(want.Mounts), false, true},
		{"a tree missing", Frame(msg), len(want.Mounts) - 1, true, false},
		{"a tree too many", Frame(msg), len(want.Mounts) + 1, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(pair[0])
			var sent []int
			for range tc.fds {
				f, err := os.Open("/")
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				sent = append(sent, int(f.Fd()))
			}
			var oob []byte
			if len(sent) > 0 {
				oob = unix.UnixRights(sent...)
			}
			if err := unix.Sendmsg(pair[1], tc.write, oob, nil, 0); err != nil {
				t.Fatal(err)
			}
			unix.Close(pair[1])
			cfg, trees, err := readConfig(pair[0])
			if (err != nil) != tc.readErr {
				t.Fatalf("readConfig: %v, want error %v", err, tc.readErr)
			}
			if err != nil {
				return
			}
			defer closeAll(trees)
			if !reflect.DeepEqual(*cfg, want) {
				t.Fatalf("got %+v, want %+v", *cfg, want)
			}
			for _, fd := range trees {
				if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil || flags&unix.FD_CLOEXEC == 0 {
					t.Fatalf("received descriptor %d: flags %d, %v; want close-on-exec", fd, flags, err)
				}
			}
			if err := waitClosed(pair[0]); (err != nil) != tc.waitErr {
				t.Fatalf("waitClosed: %v, want error %v", err, tc.waitErr)
			}
		})
	}
}
