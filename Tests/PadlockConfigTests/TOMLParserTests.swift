import Testing

@testable import PadlockConfig

@Suite struct TOMLParserTests {
    @Test func anEmptyDocumentOrOneWithOnlyCommentsIsAnEmptyTable() throws {
        #expect(try TOMLDocument.parse("").isEmpty)
        #expect(try TOMLDocument.parse("# only a comment\n\n   \t\n# another").isEmpty)
        #expect(try TOMLDocument.parse("\u{FEFF}# after a byte order mark\n").isEmpty)
    }

    @Test func commentsMayFollowValuesAndHeadersAndSitInsideArrays() throws {
        let parsed = try TOMLDocument.parse(
            """
            a = 1 # one
            [t] # a table
            b = [ # opening
              2, # two
              # nothing here
              3
            ] # closed
            """)
        #expect(parsed == table(["a": .integer(1), "t": .table(table(["b": .array([.integer(2), .integer(3)])]))]))
    }

    @Test func windowsLineEndingsAreAccepted() throws {
        let parsed = try TOMLDocument.parse("a = 1\r\n[t]\r\nb = \"x\" # c\r\n")
        #expect(parsed == table(["a": .integer(1), "t": .table(table(["b": .string("x")]))]))
    }

    @Test func bareAndQuotedKeysAreReadAsTheirNames() throws {
        let parsed = try TOMLDocument.parse(
            """
            bare-key_1 = 1
            1234 = 2
            "quoted key" = 3
            'literal "key"' = 4
            "" = 5
            "a.b" = 6
            "\\u00e9t\\u00e9" = 7
            """)
        #expect(
            parsed
                == table([
                    "bare-key_1": .integer(1), "1234": .integer(2), "quoted key": .integer(3),
                    "literal \"key\"": .integer(4), "": .integer(5), "a.b": .integer(6), "été": .integer(7),
                ]))
    }

    @Test func dottedKeysCreateNestedTablesWithOrWithoutSpacesAroundTheDots() throws {
        let parsed = try TOMLDocument.parse(
            """
            a.b.c = 1
            a . b . d = 2
            a."x y".z = 3
            """)
        let expected = table([
            "a": .table(
                table([
                    "b": .table(table(["c": .integer(1), "d": .integer(2)])), "x y": .table(table(["z": .integer(3)])),
                ]))
        ])
        #expect(parsed == expected)
    }

    @Test func tableHeadersNestAndMayDefineAParentAfterItsChild() throws {
        let parsed = try TOMLDocument.parse(
            """
            [a.b]
            x = 1
            [ a ]
            y = 2
            [a."c d"]
            [e]
            """)
        let expected = table([
            "a": .table(table(["b": .table(table(["x": .integer(1)])), "y": .integer(2), "c d": .table(table([:]))])),
            "e": .table(table([:])),
        ])
        #expect(parsed == expected)
    }

    @Test func headersMayAddSubTablesBelowTablesMadeByDottedKeys() throws {
        let parsed = try TOMLDocument.parse(
            """
            [fruit]
            apple.color = "red"
            [fruit.apple.texture]
            smooth = true
            """)
        let apple = table(["color": .string("red"), "texture": .table(table(["smooth": .boolean(true)]))])
        #expect(parsed == table(["fruit": .table(table(["apple": .table(apple)]))]))
    }

    @Test func arraysOfTablesAppendOneTablePerHeaderAndSubTablesGoToTheLastOne() throws {
        let parsed = try TOMLDocument.parse(
            """
            [[members]]
            id = 1
            [members.extra]
            note = "first"
            [[members]]
            id = 2
            [[members.tags]]
            name = "x"
            [[members.tags]]
            name = "y"
            """)
        let first = table(["id": .integer(1), "extra": .table(table(["note": .string("first")]))])
        let tags = TOMLValue.array([.table(table(["name": .string("x")])), .table(table(["name": .string("y")]))])
        let second = table(["id": .integer(2), "tags": tags])
        #expect(parsed == table(["members": .array([.table(first), .table(second)])]))
        #expect(parsed["members"]?.kindDescription == "an array of tables")
    }

    @Test func basicStringsResolveEveryEscape() throws {
        let parsed = try TOMLDocument.parse(
            #"s = "q\" b\\ n\n t\t u\u00E9 U\U0001D11E b\b f\f r\r raw é€𝄞""#)
        #expect(parsed["s"] == .string("q\" b\\ n\n t\t u\u{e9} U\u{1D11E} b\u{8} f\u{c} r\r raw é€𝄞"))
    }

    @Test func literalStringsKeepBackslashesAndQuotesAsWritten() throws {
        let parsed = try TOMLDocument.parse(#"path = 'C:\Users\"padlock"\n'"#)
        #expect(parsed["path"] == .string(#"C:\Users\"padlock"\n"#))
        #expect(try TOMLDocument.parse("e = ''\nf = \"\"") == table(["e": .string(""), "f": .string("")]))
    }

    @Test func integersAreDecimalWithOptionalSignAndUnderscoresBetweenDigits() throws {
        let parsed = try TOMLDocument.parse(
            """
            zero = 0
            plus = +17
            minus = -17
            negative-zero = -0
            grouped = 4_000_000
            odd = 1_2_3
            max = 9223372036854775807
            min = -9_223_372_036_854_775_808
            """)
        #expect(
            parsed
                == table([
                    "zero": .integer(0), "plus": .integer(17), "minus": .integer(-17), "negative-zero": .integer(0),
                    "grouped": .integer(4_000_000), "odd": .integer(123), "max": .integer(.max), "min": .integer(.min),
                ]))
    }

    @Test func booleansAreTrueAndFalse() throws {
        #expect(try TOMLDocument.parse("a = true\nb = false") == table(["a": .boolean(true), "b": .boolean(false)]))
    }

    @Test func arraysMaySpanLinesNestMixKindsAndEndWithAComma() throws {
        let parsed = try TOMLDocument.parse(
            """
            empty = []
            one = [1]
            trailing = [1, 2,]
            nested = [[1, 2], ["a"], []]
            mixed = ["x", 1, true]
            lines = [
              "a",
              "b",
            ]
            """)
        #expect(
            parsed
                == table([
                    "empty": .array([]), "one": .array([.integer(1)]), "trailing": .array([.integer(1), .integer(2)]),
                    "nested": .array([.array([.integer(1), .integer(2)]), .array([.string("a")]), .array([])]),
                    "mixed": .array([.string("x"), .integer(1), .boolean(true)]),
                    "lines": .array([.string("a"), .string("b")]),
                ]))
    }

    @Test func keysKeepTheirOrderAndTheirPositions() throws {
        let parsed = try TOMLDocument.parse("b = 1\n  a = 2\n[t]\n")
        #expect(parsed.keys == ["b", "a", "t"])
        #expect(parsed.position(of: "a") == TOMLPosition(line: 2, column: 3))
        guard case .table(let sub) = parsed["t"] else {
            Issue.record("t is not a table")
            return
        }
        #expect(sub.position == TOMLPosition(line: 3, column: 1))
        #expect(parsed.position == nil)
    }

    @Test func aTableWrittenOutReadsBackEqual() throws {
        let source = """
            title = "Padlock \\"quoted\\" \\u0001"
            n = -5
            list = [1, ["x", 'y'], []]
            a.b.c = true
            [server]
            "port name" = 7401
            [[server.members]]
            id = 1
            [server.members.extra]
            [[server.members]]
            id = 2
            """
        let parsed = try TOMLDocument.parse(source)
        let written = TOMLRenderer.render(parsed)
        #expect(try TOMLDocument.parse(written) == parsed, "\(written)")
    }

    @Test func bytesInUTF8ReadLikeTheText() throws {
        let text = "name = \"t\u{e9}l\u{e9}phone\"\n"
        #expect(try TOMLDocument.parse(utf8: Array(text.utf8)) == TOMLDocument.parse(text))
    }
}
