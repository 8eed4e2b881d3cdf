package sandbox

import (
	"fmt"
	"net"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
)

// natRules is the nftables table of one Hearth: masquerade what the
// environments send out of the range, and drop what one environment sends
// to another. Rules are written through netlink (google/nftables), so no
// nft or iptables binary is needed.
type natRules struct {
	table *nftables.Table
}

// installNAT replaces the table name (left by an earlier run) with a fresh
// one for the range.
func installNAT(name string, ipn *net.IPNet) (*natRules, error) {
	c, err := nftables.New()
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	t := &nftables.Table{Name: name, Family: nftables.TableFamilyIPv4}
	// Delete an old table of the same name in its own batch: a batch fails
	// as a whole when the table does not exist.
	c.DelTable(t)
	_ = c.Flush()
	c.AddTable(t)
	post := c.AddChain(&nftables.Chain{
		Name: "postrouting", Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource,
	})
	fwd := c.AddChain(&nftables.Chain{
		Name: "forward", Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter,
	})
	// ip saddr RANGE ip daddr != RANGE masquerade
	c.AddRule(&nftables.Rule{Table: t, Chain: post, Exprs: concat(
		matchNet(12, ipn, expr.CmpOpEq), matchNet(16, ipn, expr.CmpOpNeq), []expr.Any{&expr.Masq{}})})
	// ip saddr RANGE ip daddr RANGE drop
	c.AddRule(&nftables.Rule{Table: t, Chain: fwd, Exprs: concat(
		matchNet(12, ipn, expr.CmpOpEq), matchNet(16, ipn, expr.CmpOpEq), []expr.Any{&expr.Verdict{Kind: expr.VerdictDrop}})})
	if err := c.Flush(); err != nil {
		return nil, fmt.Errorf("nftables: install table %s: %w", name, err)
	}
	return &natRules{table: t}, nil
}

// removeNATTable deletes the table name if it exists and reports whether
// it did.
func removeNATTable(name string) bool {
	c, err := nftables.New()
	if err != nil {
		return false
	}
	t := &nftables.Table{Name: name, Family: nftables.TableFamilyIPv4}
	c.DelTable(t)
	return c.Flush() == nil
}

// remove deletes the table.
func (r *natRules) remove() error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	c.DelTable(r.table)
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: remove table %s: %w", r.table.Name, err)
	}
	return nil
}

// matchNet compares the IPv4 address at offset off of the network header
// (12 source, 16 destination) with the range ipn.
func matchNet(off uint32, ipn *net.IPNet, op expr.CmpOp) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: ipn.Mask, Xor: make([]byte, 4)},
		&expr.Cmp{Op: op, Register: 1, Data: ipn.IP.To4()},
	}
}

func concat(parts ...[]expr.Any) []expr.Any {
	var out []expr.Any
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
