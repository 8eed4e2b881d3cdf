package function

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseLayerVersionARN(t *testing.T) {
	cases := []struct {
		arn  string
		ok   bool
		name string
		ver  int64
	}{
		{"arn:aws:lambda:us-east-1:000000000000:layer:my-layer_1:7", true, "my-layer_1", 7},
		{"arn:aws-cn:lambda:cn-north-1:123456789012:layer:x:1", true, "x", 1},
		{"arn:aws:lambda:us-east-1:000000000000:layer:x:0", false, "", 0},
		{"arn:aws:lambda:us-east-1:000000000000:layer:x", false, "", 0},
		{"arn:aws:lambda:us-east-1:0000:layer:x:1", false, "", 0},
		{"arn:aws:lambda:us-east-1:000000000000:function:x:1", false, "", 0},
	}
	for _, c := range cases {
		_, _, name, ver, ok := ParseLayerVersionARN(c.arn)
		if ok != c.ok || name != c.name || ver != c.ver {
			t.Errorf("%s: %q %d %v; want %q %d %v", c.arn, name, ver, ok, c.name, c.ver, c.ok)
		}
	}
	if err := ValidateLayers(make([]string, 6)); err == nil {
		t.Error("six layers accepted")
	}
}

func FuzzParseLayerVersionARN(f *testing.F) {
	f.Add("arn:aws:lambda:us-east-1:000000000000:layer:my-layer:7")
	f.Add("arn:aws:lambda:us-east-1:000000000000:layer:x:99999999999999999999")
	f.Fuzz(func(t *testing.T, arn string) {
		region, account, name, version, ok := ParseLayerVersionARN(arn)
		if !ok {
			return
		}
		i := strings.LastIndexByte(arn, ':')
		n, err := strconv.ParseInt(arn[i+1:], 10, 64)
		if err != nil || n != version || version < 1 || len(account) != 12 || region == "" ||
			!strings.HasSuffix(arn[:i], ":"+account+":layer:"+name) {
			t.Fatalf("%q parsed as %q %q %q %d", arn, region, account, name, version)
		}
		if _, err := ParseLayerName(LayerARN(region, account, name)); err != nil {
			t.Fatalf("the layer ARN of %q is not a valid LayerName: %v", arn, err)
		}
	})
}
