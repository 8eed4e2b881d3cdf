package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// cluster runs `hearth cluster status`: the members of the cluster the
// endpoint's node belongs to, the replication of its streams and the
// scheduler lease.
func cluster(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs, cf := newFlagSet("cluster status [flags]", getenv, stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	if len(pos) != 1 || pos[0] != "status" {
		return badUsage(fs, "want: cluster status")
	}
	c, err := cf.client(getenv)
	if err != nil {
		return failure("cluster", stderr, err)
	}
	st, err := c.ClusterStatus(ctx)
	if err != nil {
		return failure("cluster", stderr, err)
	}
	fmt.Fprintf(stdout, "node %s, replicas %d, scheduler lease held by %s\n\n", st.Node, st.Replicas, orNone(st.Scheduler))
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tAPI\tENVIRONMENTS\tIDLE\tFREE MB\tPENDING EVENTS\tSEEN")
	for _, m := range st.Members {
		idle := 0
		for _, n := range m.Idle {
			idle += n
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d/%d\t%d\t%s ago\n", m.Name, m.API, m.Environments, idle, m.FreeMB, m.MemoryMB,
			m.PendingEvents, time.Since(m.Seen).Round(100*time.Millisecond))
	}
	fmt.Fprintln(tw, "\nSTREAM\tREPLICAS\tLEADER\tCURRENT\tLAGGING\tMESSAGES")
	for _, s := range st.Streams {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\n", s.Name, s.Replicas, orNone(s.Leader),
			orNone(strings.Join(s.Current, ",")), orNone(strings.Join(s.Lagging, ",")), s.Messages)
	}
	if err := tw.Flush(); err != nil {
		return failure("cluster", stderr, err)
	}
	if st.Error != "" {
		fmt.Fprintln(stderr, "hearth cluster: jetstream:", st.Error)
		return 1
	}
	return 0
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
