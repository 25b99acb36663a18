import NIOCore

/// The small HTML page served at `/`, linking to the telemetry path and to extra routes that ask for a link.
enum LandingPage {
    /// Renders the page once; every request shares the buffer.
    static func render(title: String, description: String, links: [(href: String, text: String)]) -> ByteBuffer {
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head><meta charset="utf-8"><title>\(escape(title))</title></head>
            <body>
            <h1>\(escape(title))</h1>
            <p>\(escape(description))</p>
            <ul>

            """
        for link in links {
            html += "<li><a href=\"\(escape(link.href))\">\(escape(link.text))</a></li>\n"
        }
        html += "</ul>\n</body>\n</html>\n"
        return ByteBuffer(string: html)
    }

    /// Escapes text for HTML element content and double-quoted attributes.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
