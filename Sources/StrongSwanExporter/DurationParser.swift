/// Parses Prometheus-style durations (`15s`, `500ms`, `1m30s`, `2h`) used by flags.
public enum DurationParser {
    /// What a flag's error message says a valid value is.
    public static let expected = "a positive duration of at most 30 days, like 500ms, 15s, 1m30s or 2h"


    /// The duration `text` denotes, or `nil` if it is not a positive duration of at most 30 days.
    public static func parse(_ text: String) -> Duration? {
        guard !text.isEmpty, text.utf8.count <= 32 else { return nil }
        var totalMilliseconds: Int64 = 0
        var number: Int64 = 0
        var haveNumber = false
        var unit = ""
        func flush() -> Bool {
            guard haveNumber else { return false }
            let factor: Int64
            switch unit {
            case "ms": factor = 1
            case "s": factor = 1000
            case "m": factor = 60_000
            case "h": factor = 3_600_000
            case "d": factor = 86_400_000
            default: return false
            }
            let (product, overflow) = number.multipliedReportingOverflow(by: factor)
            guard !overflow else { return false }
            let (sum, sumOverflow) = totalMilliseconds.addingReportingOverflow(product)
            guard !sumOverflow else { return false }
            totalMilliseconds = sum
            number = 0
            haveNumber = false
            unit = ""
            return true
        }
        for character in text {
            if let digit = character.wholeNumberValue, character.isASCII {
                if !unit.isEmpty { guard flush() else { return nil } }
                let (times10, o1) = number.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(Int64(digit))
                guard !o1, !o2 else { return nil }
                number = sum
                haveNumber = true
            } else if character.isLetter, character.isASCII {
                guard haveNumber else { return nil }
                unit.append(character)
            } else {
                return nil
            }
        }
        guard flush(), totalMilliseconds > 0, totalMilliseconds <= 30 * 86_400_000 else { return nil }
        return .milliseconds(totalMilliseconds)
    }
}
