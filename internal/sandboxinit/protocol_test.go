package sandboxinit

import (
	"reflect"
	"testing"
)

func TestPrepArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		prep Prep
	}{
		{"tmpfs, cgroup v2", Prep{Root: "/var/lib/hearth/sandbox/root"}},
		{"disk, cgroup v1", Prep{Root: "/r oot,x", TmpDev: "/dev/loop7", CgroupFds: []int{5, 6, 7}, Hosts: "127.0.0.1\tlocalhost\n", TmpMB: 512}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePrep(tc.prep.Args())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.prep) {
				t.Fatalf("got %+v, want %+v", got, tc.prep)
			}
		})
	}
	for _, args := range [][]string{nil, {"init"}, {"init", "/r", "", "", ""}, {"init", "", "", "", "", "0"}, {"init", "/r", "", "5,x", "", "0"},
		{"init", "/r", "", "-1", "", "0"}, {"init", "/r", "", "", "", "-1"}, {"init", "/r", "", "", "", "x"}, {"init", "/r", "", "", "", "0", "extra"}} {
		if _, err := ParsePrep(args); err == nil {
			t.Errorf("ParsePrep(%q) accepted", args)
		}
	}
}

func testConfig() Config {
	return Config{
		Mounts: []string{"/", "/var/task", "/var/runtime", "/usr/local/lib/python3.12"}, Image: true,
		Path: "bootstrap", Args: []string{"bootstrap", "-x", ""}, Env: []string{"PATH=/usr/bin:/bin", "A=é\x00b"},
		TmpMB: 10240, UID: 165535, GID: 165535, NoFile: 1024, WorkDir: "/var/task",
		Seccomp: []byte{0x20, 0, 0, 0, 4, 0, 0, 0},
	}
}

func TestConfigRoundTrip(t *testing.T) {
	for _, c := range []Config{{}, testConfig()} {
		b, err := c.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got Config
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("got %+v, want %+v", got, c)
		}
		for i := range b { // every prefix is cut short
			if err := got.UnmarshalBinary(b[:i]); err == nil {
				t.Fatalf("a config cut at %d of %d bytes decoded", i, len(b))
			}
		}
		if err := got.UnmarshalBinary(append(b, 0)); err == nil {
			t.Fatal("a config with trailing bytes decoded")
		}
	}
	for _, bad := range []Config{{UID: -1}, {Image: true}, {Mounts: make([]string, maxTrees+1)}} {
		if _, err := bad.MarshalBinary(); err == nil {
			t.Fatalf("%+v encoded", bad)
		}
	}
}

// FuzzConfig: any input decodes or fails without panicking, and what
// decodes encodes to the same bytes.
func FuzzConfig(f *testing.F) {
	c := testConfig()
	b, _ := c.MarshalBinary()
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, in []byte) {
		var c Config
		if c.UnmarshalBinary(in) != nil {
			return
		}
		out, err := c.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var again Config
		if err := again.UnmarshalBinary(out); err != nil || !reflect.DeepEqual(again, c) {
			t.Fatalf("re-encoded config differs: %v", err)
		}
	})
}

func TestStamps(t *testing.T) {
	want := [StampCount]int64{1, 1 << 40, 1<<62 + 5}
	for _, rest := range []string{"", "exec bootstrap: no such file"} {
		got, r := ParseStamps(append(appendStamps(nil, want), rest...))
		if got != want || string(r) != rest {
			t.Fatalf("got %v %q, want %v %q", got, r, want, rest)
		}
	}
	if got, r := ParseStamps([]byte("exec: failed")); got != ([StampCount]int64{}) || string(r) != "exec: failed" {
		t.Fatalf("an error without stamps parsed as %v %q", got, r)
	}
}
