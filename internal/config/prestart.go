package config

import (
	"flag"
	"fmt"
	"strconv"
)

// PrestartAuto is Config.Prestart's default: the ready pool of sandbox
// inits follows the recent scale-out, bounded by memory only (an eighth
// of the available memory, about 1.6 MiB per init).
const PrestartAuto = -1

// prestartValue is --prestart: "auto" or a number of inits.
type prestartValue struct{ p *int }

func (v prestartValue) String() string {
	if v.p == nil || *v.p == PrestartAuto {
		return "auto"
	}
	return strconv.Itoa(*v.p)
}

func (v prestartValue) Set(s string) error {
	if s == "auto" {
		*v.p = PrestartAuto
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf("%q: want auto or a number of inits", s)
	}
	*v.p = n
	return nil
}

// prestartFlag defines --prestart and reads HEARTH_PRESTART.
func prestartFlag(fs *flag.FlagSet, p *int, getenv func(string) string, errs *[]error) {
	v := prestartValue{p}
	if env := getenv("HEARTH_PRESTART"); env != "" {
		if err := v.Set(env); err != nil {
			*errs = append(*errs, fmt.Errorf("HEARTH_PRESTART: %w", err))
		}
	}
	fs.Var(v, "prestart", "sandbox inits kept ready at most: auto (the ready pool follows the recent scale-out "+
		"within an eighth of available memory, about 1.6 MiB each) or a number (0: none) (env HEARTH_PRESTART)")
}
