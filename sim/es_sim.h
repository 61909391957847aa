/* The simulated engine: the topology built in ns-3 (point-to-point links, static routes,
 * TCP), HTTP/1.1 framing on top, simulated clock and timers behind the engine API. */
#ifndef ES_SIM_H
#define ES_SIM_H

#include <glib.h>
#include "es_engine.h"
#include "es_topology.h"

#define ES_SIM_ERROR (es_sim_error_quark())
GQuark es_sim_error_quark(void);
typedef enum { ES_SIM_ERROR_TOPOLOGY, ES_SIM_ERROR_NS3 } EsSimError;

typedef struct EsSim EsSim;

/* One simulation per process (ns-3's simulator is a singleton); seeds ns-3's RngSeed and
 * RngRun from `seed`. */
EsSim *es_sim_new(const EsTopology *topo, guint64 seed, GError **error);
/* Destroys the ns-3 world; pending timers never fire. */
void es_sim_free(EsSim *sim);
EsEngine *es_sim_get0_engine(EsSim *sim);
/* Runs events until none is left, es_sim_stop is called, or simulated time reaches stop_s. */
void es_sim_run(EsSim *sim, double stop_s);
void es_sim_stop(EsSim *sim);
guint64 es_sim_get_events(const EsSim *sim);

#endif
