package api

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"io"
	"net/http"
	"runtime"
)

// elfMachines names the ELF machines Hearth can tell apart, as Lambda
// names architectures.
var elfMachines = map[elf.Machine]string{elf.EM_X86_64: "x86_64", elf.EM_AARCH64: "arm64"}

// hostArch is the host's architecture as Lambda names it.
func hostArch() string {
	if runtime.GOARCH == "arm64" {
		return "arm64"
	}
	return "x86_64"
}

// checkZipArch refuses a package whose bootstrap executable is built for
// another architecture than the host's: it could not start here.
func checkZipArch(pkg []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		return nil // the code store reports a broken package
	}
	f, err := zr.Open("bootstrap")
	if err != nil {
		return nil
	}
	defer f.Close()
	head := make([]byte, 20)
	if n, _ := io.ReadFull(f, head); n < 20 || !bytes.HasPrefix(head, []byte(elf.ELFMAG)) {
		return nil // not an ELF executable: a script, for instance
	}
	var order binary.ByteOrder = binary.LittleEndian
	if elf.Data(head[elf.EI_DATA]) == elf.ELFDATA2MSB {
		order = binary.BigEndian
	}
	machine := elf.Machine(order.Uint16(head[18:20]))
	arch, known := elfMachines[machine]
	if !known {
		arch = machine.String()
	}
	if arch == hostArch() {
		return nil
	}
	return errorf(http.StatusBadRequest, typeInvalidParam, "The bootstrap executable in the deployment package is built for "+arch+
		", but this Hearth host runs "+hostArch()+" and cannot run it. Build it for "+hostArch()+" (e.g. GOARCH="+runtime.GOARCH+").")
}
