/* kafka-mock [-b brokers] [-t topic:parts[:rf]]... [-V apikey:min:max]... [-n]
 * Prints BOOTSTRAP=host:port,... then runs until SIGTERM/SIGINT or stdin EOF (-n: ignore stdin).
 * Lines on stdin: `down` takes every broker down (connections closed, new ones refused; data
 * kept), `up` brings them back; each is answered with `OK down` / `OK up` on stdout.
 * Debian: gcc -O2 -o kafka-mock kafka-mock.c $(pkg-config --cflags --libs rdkafka) */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static volatile sig_atomic_t run = 1;
static void stop(int s) { (void)s; run = 0; }
int main(int argc, char **argv) {
        int brokers = 1, opt, watch_stdin = 1; char err[512], buf[256];
        const char *opts = "b:t:V:n";
        while ((opt = getopt(argc, argv, opts)) != -1)
                if (opt == 'b') brokers = atoi(optarg); else if (opt == 'n') watch_stdin = 0;
        signal(SIGINT, stop); signal(SIGTERM, stop); signal(SIGPIPE, SIG_IGN);
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
        if (getenv("KAFKA_MOCK_DEBUG")) { /* e.g. KAFKA_MOCK_DEBUG=mock */
                rd_kafka_conf_set(conf, "log_level", "7", err, sizeof(err));
                rd_kafka_conf_set(conf, "debug", getenv("KAFKA_MOCK_DEBUG"), err, sizeof(err));
        }
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
        if (!rk) { fprintf(stderr, "%s\n", err); return 1; }
        rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
        if (!mc) return 1;
        /* Advertise only versions whose mock handlers work with JS clients. */
        if (rd_kafka_version() < 0x020100ff) /* 2.0.x: ListOffsets v4+ LeaderEpoch encoded as int64 */
                rd_kafka_mock_set_apiversion(mc, 2, 0, 3);
        else { /* 2.15.x: JoinGroup v6/SyncGroup v4 parse errors, LeaveGroup v3+ bad response */
                static const int16_t caps[][2] = {{0, 8}, {1, 11}, {2, 5}, {3, 8}, {8, 7}, {9, 5},
                                                  {10, 2}, {11, 5}, {12, 3}, {13, 2}, {14, 3}, {28, 2}};
                for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
                        rd_kafka_mock_set_apiversion(mc, caps[i][0], 0, caps[i][1]);
        }
        /* InitProducerId v3+: mock treats producerId 0 (sent by @platformatic/kafka) as an epoch bump */
        rd_kafka_mock_set_apiversion(mc, 22, 0, 2);
        optind = 1;
        while ((opt = getopt(argc, argv, opts)) != -1) {
                if (opt == 't') {
                        char *s = strdup(optarg), *name = strtok(s, ":"), *p = strtok(NULL, ":"), *r = strtok(NULL, ":");
                        if (rd_kafka_mock_topic_create(mc, name, p ? atoi(p) : 1, r ? atoi(r) : 1)) return 1;
                        free(s);
                } else if (opt == 'V') {
                        int k, lo, hi;
                        if (sscanf(optarg, "%d:%d:%d", &k, &lo, &hi) != 3 || rd_kafka_mock_set_apiversion(mc, k, lo, hi)) return 1;
                }
        }
        printf("BOOTSTRAP=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
        fflush(stdout);
        struct pollfd pfd = {.fd = 0, .events = POLLIN};
        while (run) {
                if (!watch_stdin) { usleep(200000); continue; }
                if (poll(&pfd, 1, 200) <= 0) continue;
                ssize_t n = read(0, buf, sizeof(buf) - 1);
                if (n <= 0) break; /* parent gone */
                buf[n] = 0;
                for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
                        int up = strcmp(line, "up") == 0;
                        if (!up && strcmp(line, "down") != 0) continue;
                        for (int id = 1; id <= brokers; id++)
                                up ? rd_kafka_mock_broker_set_up(mc, id) : rd_kafka_mock_broker_set_down(mc, id);
                        printf("OK %s\n", line);
                        fflush(stdout);
                }
        }
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return 0;
}
