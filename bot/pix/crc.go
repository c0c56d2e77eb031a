package pix

import "fmt"

// CRC16 returns the CRC-16/CCITT-FALSE checksum (polynomial 0x1021, initial
// value 0xFFFF, no reflection, no final XOR) of s as four uppercase hex
// digits. For a BR Code, s is the whole payload up to and including "6304".
func CRC16(s string) string {
	return fmt.Sprintf("%04X", crc16(s))
}

func crc16(s string) uint16 {
	crc := uint16(0xFFFF)
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
