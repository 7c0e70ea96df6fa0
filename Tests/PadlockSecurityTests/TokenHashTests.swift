import PadlockSecurity
import Testing

@Test func aTokenHashIsTheHexSHA256OfItsBytes() {
    #expect(TokenHash.hex(of: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
}
