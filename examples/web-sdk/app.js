// Stands for your app: joins the stage with the token in the page's URL (?token=...), publishes
// the camera and microphone when ?publish=1, shows the others' video. It writes its states on
// <body data-...> so that a test can wait for them.
const { Stage, LocalStageStream, SubscribeType, StageEvents } = window.IVSBroadcastClient;
const query = new URLSearchParams(location.search);
const publish = query.get("publish") === "1";

async function main() {
  let streams = [];
  if (publish) {
    const media = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    streams = media.getTracks().map((track) => new LocalStageStream(track));
  }
  const stage = new Stage(query.get("token"), {
    stageStreamsToPublish: () => streams,
    shouldPublishParticipant: () => publish,
    shouldSubscribeToParticipant: () => SubscribeType.AUDIO_VIDEO,
  });
  stage.on(StageEvents.STAGE_CONNECTION_STATE_CHANGED, (state) => {
    document.body.dataset.connection = state;
  });
  stage.on(StageEvents.STAGE_PARTICIPANT_PUBLISH_STATE_CHANGED, (participant, state) => {
    if (participant.isLocal) document.body.dataset.publish = state;
  });
  stage.on(StageEvents.STAGE_PARTICIPANT_STREAMS_ADDED, (participant, added) => {
    if (participant.isLocal) return;
    const video = document.createElement("video");
    Object.assign(video, { autoplay: true, muted: true, playsInline: true });
    video.srcObject = new MediaStream(added.map((stream) => stream.mediaStreamTrack));
    document.getElementById("videos").appendChild(video);
  });
  await stage.join();
}

main().catch((error) => {
  document.body.dataset.error = String(error);
});
