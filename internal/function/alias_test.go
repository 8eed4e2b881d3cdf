package function

import (
	"errors"
	"testing"
)

func TestValidateWeights(t *testing.T) {
	cases := []struct {
		name    string
		primary string
		weights map[string]float64
		kind    error // nil = valid
	}{
		{"none", "1", nil, nil},
		{"one extra version", "1", map[string]float64{"2": 0.2}, nil},
		{"latest primary", Latest, map[string]float64{"2": 0.2}, ErrInvalidParameter},
		{"same version twice", "1", map[string]float64{"1": 0.2}, ErrInvalidParameter},
		{"two extra versions", "1", map[string]float64{"2": 0.2, "3": 0.1}, ErrInvalidParameter},
		{"weight above one", "1", map[string]float64{"2": 1.5}, ErrValidation},
		{"latest as extra", "1", map[string]float64{Latest: 0.5}, ErrValidation},
	}
	for _, c := range cases {
		err := ValidateWeights(c.primary, c.weights)
		if c.kind == nil && err != nil || c.kind != nil && !errors.Is(err, c.kind) {
			t.Errorf("%s: %v, want %v", c.name, err, c.kind)
		}
	}
}

func TestValidateAliasName(t *testing.T) {
	for name, ok := range map[string]bool{"live": true, "blue-green_2": true, "12": false, "": false, "a:b": false, "$LATEST": false} {
		if err := ValidateAliasName(name); (err == nil) != ok {
			t.Errorf("%q: %v", name, err)
		}
	}
}
