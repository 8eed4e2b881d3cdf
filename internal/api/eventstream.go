package api

import (
	"encoding/binary"
	"hash/crc32"
)

// appendEvent appends one message of AWS's event stream encoding
// (application/vnd.amazon.eventstream): a prelude with the total and
// header lengths and its CRC32, string headers, the payload, and the
// CRC32 of everything before it. headers alternate names and values.
func appendEvent(dst []byte, payload []byte, headers ...string) []byte {
	start := len(dst)
	hlen := 0
	for i := 0; i+1 < len(headers); i += 2 {
		hlen += 1 + len(headers[i]) + 1 + 2 + len(headers[i+1])
	}
	total := 12 + hlen + len(payload) + 4
	dst = binary.BigEndian.AppendUint32(dst, uint32(total))
	dst = binary.BigEndian.AppendUint32(dst, uint32(hlen))
	dst = binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:start+8]))
	for i := 0; i+1 < len(headers); i += 2 {
		dst = append(dst, byte(len(headers[i])))
		dst = append(dst, headers[i]...)
		dst = append(dst, 7) // string
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(headers[i+1])))
		dst = append(dst, headers[i+1]...)
	}
	dst = append(dst, payload...)
	return binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:]))
}

// appendPayloadChunk appends InvokeWithResponseStream's PayloadChunk event.
func appendPayloadChunk(dst, payload []byte) []byte {
	return appendEvent(dst, payload, ":event-type", "PayloadChunk", ":message-type", "event",
		":content-type", "application/octet-stream")
}

// appendInvokeComplete appends the InvokeComplete event; body is its JSON.
func appendInvokeComplete(dst, body []byte) []byte {
	return appendEvent(dst, body, ":event-type", "InvokeComplete", ":message-type", "event",
		":content-type", "application/json")
}
