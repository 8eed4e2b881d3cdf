package logs

import (
	"fmt"
	"strings"
)

// Pattern is a parsed CloudWatch Logs filter pattern of the plain-text
// kind: terms that must all occur, "quoted phrases" that occur as written,
// ?terms of which at least one must occur, and -terms that must not occur.
// Matching is case-sensitive, as CloudWatch's. JSON ({...}) and
// space-delimited ([...]) patterns are not supported.
type Pattern struct {
	all, any, none []string
}

// ParsePattern parses a filter pattern; "" matches every event. It fails
// with ErrUnsupportedPattern for JSON and space-delimited patterns.
func ParsePattern(p string) (*Pattern, error) {
	p = strings.TrimSpace(p)
	if strings.HasPrefix(p, "{") || strings.HasPrefix(p, "[") {
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedPattern, p)
	}
	out := &Pattern{}
	for p != "" {
		kind := byte(0)
		if p[0] == '?' || p[0] == '-' {
			kind, p = p[0], p[1:]
		}
		var term string
		if strings.HasPrefix(p, `"`) {
			end := strings.IndexByte(p[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("%w: unterminated quote in %q", ErrInvalidPattern, p)
			}
			term, p = p[1:end+1], p[end+2:]
		} else {
			end := strings.IndexAny(p, " \t")
			if end < 0 {
				end = len(p)
			}
			term, p = p[:end], p[end:]
		}
		p = strings.TrimLeft(p, " \t")
		if term == "" {
			continue
		}
		switch kind {
		case '?':
			out.any = append(out.any, term)
		case '-':
			out.none = append(out.none, term)
		default:
			out.all = append(out.all, term)
		}
	}
	return out, nil
}

// Match reports whether a message matches the pattern.
func (p *Pattern) Match(msg string) bool {
	for _, t := range p.all {
		if !strings.Contains(msg, t) {
			return false
		}
	}
	for _, t := range p.none {
		if strings.Contains(msg, t) {
			return false
		}
	}
	if len(p.any) == 0 {
		return true
	}
	for _, t := range p.any {
		if strings.Contains(msg, t) {
			return true
		}
	}
	return false
}
