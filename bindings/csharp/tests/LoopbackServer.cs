using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace VidiFlow.Auth.Tests
{
    /// <summary>One HTTP request as the loopback server saw it.</summary>
    internal sealed class SeenRequest
    {
        public string Method;
        public string Path;
        public Dictionary<string, string> Headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        public string Body;

        public string Header(string name)
        {
            string value;
            return Headers.TryGetValue(name, out value) ? value : null;
        }
    }

    /// <summary>What the loopback server answers; null from the handler means "never answer".</summary>
    internal sealed class CannedResponse
    {
        public int Status = 200;
        public string ContentType = "application/json";
        public string Body = "";
        public Dictionary<string, string> Headers = new Dictionary<string, string>();

        public static CannedResponse Of(int status, string contentType, string body)
        {
            return new CannedResponse { Status = status, ContentType = contentType, Body = body };
        }
    }

    /// <summary>
    /// A tiny HTTP/1.1 server on 127.0.0.1 and an ephemeral port, for fake token endpoints and a
    /// fake protected API: one request per connection (it answers with Connection: close), every
    /// request recorded. Only loopback, and it stops when disposed.
    /// </summary>
    internal sealed class LoopbackServer : IDisposable
    {
        private readonly TcpListener listener;
        private readonly Func<SeenRequest, CannedResponse> handler;
        private readonly List<SeenRequest> requests = new List<SeenRequest>();
        private readonly List<TcpClient> connections = new List<TcpClient>();
        private readonly ManualResetEvent stopping = new ManualResetEvent(false);
        private readonly Thread acceptor;

        public LoopbackServer(Func<SeenRequest, CannedResponse> handler)
        {
            this.handler = handler;
            listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            acceptor = new Thread(Accept) { IsBackground = true, Name = "loopback-accept" };
            acceptor.Start();
        }

        public int Port { get; private set; }

        public string Url
        {
            get { return "http://127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture); }
        }

        public List<SeenRequest> Requests
        {
            get
            {
                lock (requests)
                {
                    return new List<SeenRequest>(requests);
                }
            }
        }

        /// <summary>A port nothing listens on (bound, read and released).</summary>
        public static int ClosedPort()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            return port;
        }

        public void Dispose()
        {
            stopping.Set();
            listener.Stop();
            lock (connections)
            {
                foreach (TcpClient connection in connections)
                {
                    connection.Close();
                }
            }
            acceptor.Join(2000);
        }

        private void Accept()
        {
            while (!stopping.WaitOne(0))
            {
                TcpClient connection;
                try
                {
                    connection = listener.AcceptTcpClient();
                }
                catch (SocketException)
                {
                    return;
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                lock (connections)
                {
                    connections.Add(connection);
                }
                var worker = new Thread(() => Serve(connection)) { IsBackground = true, Name = "loopback-serve" };
                worker.Start();
            }
        }

        private void Serve(TcpClient connection)
        {
            try
            {
                NetworkStream stream = connection.GetStream();
                SeenRequest request = Read(stream);
                if (request == null)
                {
                    return;
                }
                lock (requests)
                {
                    requests.Add(request);
                }
                CannedResponse response = handler(request);
                if (response == null)
                {
                    stopping.WaitOne();
                    return;
                }
                Write(stream, response);
            }
            catch (IOException)
            {
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
            finally
            {
                connection.Close();
            }
        }

        private static SeenRequest Read(Stream stream)
        {
            var head = new MemoryStream();
            int matched = 0;
            byte[] end = { 13, 10, 13, 10 };
            while (matched < 4)
            {
                int b = stream.ReadByte();
                if (b < 0)
                {
                    return null;
                }
                head.WriteByte((byte)b);
                matched = b == end[matched] ? matched + 1 : (b == 13 ? 1 : 0);
            }
            string[] lines = Encoding.ASCII.GetString(head.ToArray()).Split(new[] { "\r\n" }, StringSplitOptions.RemoveEmptyEntries);
            string[] first = lines[0].Split(' ');
            var request = new SeenRequest { Method = first[0], Path = first.Length > 1 ? first[1] : "" };
            for (int i = 1; i < lines.Length; i++)
            {
                int colon = lines[i].IndexOf(':');
                if (colon > 0)
                {
                    request.Headers[lines[i].Substring(0, colon).Trim()] = lines[i].Substring(colon + 1).Trim();
                }
            }
            int length = 0;
            string contentLength = request.Header("Content-Length");
            if (contentLength != null)
            {
                length = int.Parse(contentLength, CultureInfo.InvariantCulture);
            }
            var body = new byte[length];
            int read = 0;
            while (read < length)
            {
                int n = stream.Read(body, read, length - read);
                if (n <= 0)
                {
                    break;
                }
                read += n;
            }
            request.Body = Encoding.UTF8.GetString(body, 0, read);
            return request;
        }

        private static void Write(Stream stream, CannedResponse response)
        {
            byte[] body = Encoding.UTF8.GetBytes(response.Body ?? "");
            var head = new StringBuilder();
            head.AppendFormat(CultureInfo.InvariantCulture, "HTTP/1.1 {0} {1}\r\n", response.Status, Reason(response.Status));
            head.AppendFormat(CultureInfo.InvariantCulture, "Content-Type: {0}\r\n", response.ContentType);
            head.AppendFormat(CultureInfo.InvariantCulture, "Content-Length: {0}\r\n", body.Length);
            foreach (KeyValuePair<string, string> header in response.Headers)
            {
                head.AppendFormat(CultureInfo.InvariantCulture, "{0}: {1}\r\n", header.Key, header.Value);
            }
            head.Append("Connection: close\r\n\r\n");
            byte[] headBytes = Encoding.ASCII.GetBytes(head.ToString());
            stream.Write(headBytes, 0, headBytes.Length);
            stream.Write(body, 0, body.Length);
            stream.Flush();
        }

        private static string Reason(int status)
        {
            switch (status)
            {
                case 200: return "OK";
                case 401: return "Unauthorized";
                case 404: return "Not Found";
                case 429: return "Too Many Requests";
                case 503: return "Service Unavailable";
                default: return "Status";
            }
        }
    }
}
