package credentials

import (
	"os"
	"path/filepath"
	"testing"
)

func TestEnsure(t *testing.T) {
	dir := t.TempDir()
	c, gen, err := Ensure(dir, "", "")
	if err != nil || !gen || len(c.AccessKeyID) != 20 || len(c.SecretAccessKey) != 40 {
		t.Fatalf("first Ensure = %+v, %v, %v", c, gen, err)
	}
	st, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file mode: %v %v", st, err)
	}
	again, gen, err := Ensure(dir, "", "")
	if err != nil || gen || again != c {
		t.Fatalf("second Ensure = %+v, %v, %v; want the stored pair", again, gen, err)
	}
	given, gen, err := Ensure(dir, "AK", "SK")
	if err != nil || gen || given.AccessKeyID != "AK" || given.SecretAccessKey != "SK" {
		t.Fatalf("explicit Ensure = %+v, %v, %v", given, gen, err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Ensure(dir, "", ""); err == nil {
		t.Fatal("damaged file accepted")
	}
}
