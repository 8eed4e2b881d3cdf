package api

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"strings"
	"testing"
)

// elfZip is a package whose bootstrap starts with an ELF header for machine.
func elfZip(t *testing.T, machine elf.Machine) []byte {
	t.Helper()
	head := make([]byte, 64)
	copy(head, elf.ELFMAG)
	head[elf.EI_CLASS], head[elf.EI_DATA] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB)
	binary.LittleEndian.PutUint16(head[18:], uint16(machine))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("bootstrap")
	w.Write(head)
	zw.Close()
	return buf.Bytes()
}

func TestCheckZipArch(t *testing.T) {
	host, other := elf.EM_X86_64, elf.EM_AARCH64
	if hostArch() == "arm64" {
		host, other = other, host
	}
	if err := checkZipArch(elfZip(t, host)); err != nil {
		t.Errorf("host architecture refused: %v", err)
	}
	err := checkZipArch(elfZip(t, other))
	if err == nil || !strings.Contains(err.Error(), "InvalidParameterValueException") || !strings.Contains(err.Error(), elfMachines[other]) {
		t.Errorf("other architecture: %v", err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("bootstrap")
	w.Write([]byte("#!/bin/sh\necho hi\n"))
	zw.Close()
	if err := checkZipArch(buf.Bytes()); err != nil {
		t.Errorf("script bootstrap refused: %v", err)
	}
}
